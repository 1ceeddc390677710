"""Built-in plugins: registered through the same hooks a vendor uses (see ``DEFAULT_PLUGINS``)."""
