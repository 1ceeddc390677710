"""In-process adapters: the small modules that name an implementation's entry points."""
