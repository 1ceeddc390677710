"""The core's routers, one per area; `jifen.api.create_app` includes them all."""
