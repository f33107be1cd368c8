"""The outer layer: the `compact` command line and (later) the Flask web application."""
