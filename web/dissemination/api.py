"""The JSON API of the dissemination channel: routes only."""

from flask import Blueprint

bp = Blueprint("dissemination_api", __name__)
