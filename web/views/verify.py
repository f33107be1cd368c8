"""(to be written)"""

from flask import Blueprint

bp = Blueprint("verify", __name__)
