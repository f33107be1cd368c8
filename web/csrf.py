"""The application's CSRF protection (Flask-WTF), in a home of its own so that views and the
app factory both import it without importing each other."""

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
