"""The desk: a server-rendered editor's screen under ``/desk`` (Jinja2 templates, a little
htmx, every asset served by the hub). It calls the services the API calls."""
