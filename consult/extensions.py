"""Flask extensions, created unbound and bound in create_app()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from consult.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

if TYPE_CHECKING:  # mypy sees the typed declarative base; at run time it is db.Model
    from consult.db import Base as Model
else:
    Model = db.Model

__all__ = ["Model", "babel", "csrf", "db", "limiter", "login_manager", "migrate"]
