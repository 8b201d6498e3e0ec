"""Partner login and logout, `g.user`, and the access decorators (flaskr style)."""

import datetime
import functools

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.routing import BuildError
from wtforms.validators import ValidationError

from ..db import get_db
from ..imports import pending
from ..web import ratelimit
from ..web.context import clock
from . import accounts
from .forms import ButtonForm, LoginForm

bp = Blueprint("auth", __name__, url_prefix="/partenaires")

DEFAULTS = {
    "LOGIN_MAX_ATTEMPTS": ratelimit.DEFAULT_MAX_ATTEMPTS,
    "LOGIN_WINDOW_SECONDS": ratelimit.DEFAULT_WINDOW_SECONDS,
    "UPLOAD_EXPIRY_SECONDS": pending.DEFAULT_LIFETIME_SECONDS,
}
BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


@bp.record_once
def set_defaults(state):
    """Defaults of the partner-space settings (instance config may override)."""
    for key, value in DEFAULTS.items():
        state.app.config.setdefault(key, value)


@bp.record_once
def load_user_first(state):
    """Load g.user before any other before_request, CSRFProtect's included: its
    check reads the body, and a body over MAX_CONTENT_LENGTH must still meet a
    known user (the « Fichier trop volumineux » page, not the login page)."""
    state.app.before_request_funcs.setdefault(None, []).insert(0, load_logged_in_user)


def load_logged_in_user():
    """g.user: the active account of the session, or None."""
    user_id = session.get("user_id")
    g.user = None
    if user_id is not None:
        user = accounts.get_user(get_db(), user_id)
        if user and user["actif"]:
            g.user = user


def csrf_guard():
    """before_request of the partner and admin blueprints: every POST carries a
    valid CSRF token, even if CSRFProtect is not registered on the app."""
    if request.method != "POST" or g.get("csrf_valid"):
        return
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as exc:
        raise CSRFError(exc.args[0]) from None
    g.csrf_valid = True


bp.before_request(csrf_guard)


def here():
    """The current path with its query string, if any."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def login_required(view):
    """Redirect anonymous visitors to the login page, then back."""

    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", suivant=here()))
        return view(**kwargs)

    return wrapped_view


def admin_required(view):
    """Login required, and 403 for accounts that are not admins."""

    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", suivant=here()))
        if not g.user["is_admin"] or accounts.is_prescripteur(g.user):
            abort(403)
        return view(**kwargs)

    return wrapped_view


def prescripteur_required(view):
    """Login required, and 403 for accounts that are not prescripteurs."""

    @functools.wraps(view)
    def wrapped_view(**kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", suivant=here()))
        if not accounts.is_prescripteur(g.user):
            abort(403)
        return view(**kwargs)

    return wrapped_view


def refuse_prescripteurs():
    """before_request of the partner space: a prescripteur is not a partner (403);
    anonymous visitors go on to login_required's redirect."""
    if accounts.is_prescripteur(g.get("user")):
        abort(403)


def landing(user):
    """Where an account lands after login: admin, prescripteur or partner home."""
    if accounts.is_prescripteur(user):
        try:
            return url_for("orientations.sent")
        except BuildError:  # before the orientations blueprint exists
            return url_for("public.index")
    return url_for("admin.index" if user["is_admin"] else "partners.index")


def safe_next(target):
    """A local path to go back to after login, never another site."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _limits():
    config = current_app.config
    return (
        int(config["LOGIN_MAX_ATTEMPTS"]),
        datetime.timedelta(seconds=int(config["LOGIN_WINDOW_SECONDS"])),
    )


@bp.route("/connexion", methods=("GET", "POST"))
def login():
    """Log a partner or an admin in (rate-limited per account and address)."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        db = get_db()
        now = clock()
        max_attempts, window = _limits()
        keys = ratelimit.keys(
            form.email.data, request.remote_addr, current_app.secret_key
        )
        wait = ratelimit.retry_after(
            db, keys, now, max_attempts=max_attempts, window=window
        )
        user = accounts.find_user(db, form.email.data)
        if wait:
            flash(ratelimit.message(wait))
            status = 429
        elif not accounts.check_password(user, form.mot_de_passe.data):
            ratelimit.record_failure(db, keys, now, window=window)
            flash(BAD_CREDENTIALS)
        elif not user["actif"]:
            flash("Ce compte est désactivé. Contactez l'équipe du Département.")
        else:
            ratelimit.forget(db, keys[0])
            session.clear()
            session["user_id"] = user["id"]
            target = safe_next(request.args.get("suivant"))
            return redirect(target or landing(user))
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/deconnexion", methods=("POST",))
def logout():
    """Log out (POST only, so another site cannot do it with a link)."""
    session.clear()
    flash("Vous êtes déconnecté.")
    return redirect(url_for("public.index"))


@bp.app_context_processor
def inject_logout_form():
    """A CSRF-protected logout button for every page that shows one."""
    return {"logout_form": ButtonForm} if g.get("user") else {}
