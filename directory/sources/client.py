"""HTTP client of the data·inclusion API (`/api/v1/structures`, `/api/v1/services`).

requests.Session with urllib3 retries (exponential backoff on 429/5xx and
connection errors), explicit timeouts, a cap on each page's size, and French
errors. No Flask.
"""

import json
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

RETRIED_STATUSES = (429, 500, 502, 503, 504)
MAX_PAGES = 10_000
CHUNK = 64 * 1024
NAMES = {"structures": "structures", "services": "services"}


class ClientError(Exception):
    """The API could not be read (French message, ready for the report)."""


class DataInclusionClient:
    """Paginated reads of the data·inclusion API with a bearer token."""

    def __init__(
        self,
        base_url,
        token,
        *,
        timeout=30,
        retries=4,
        backoff=1.0,
        page_size=1000,
        max_page_bytes=50 * 1024 * 1024,
        user_agent="annuaire-solidarites-cantal",
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.page_size = page_size
        self.max_page_bytes = max_page_bytes
        self.session = requests.Session()
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            backoff_factor=backoff,
            status_forcelist=RETRIED_STATUSES,
            allowed_methods=frozenset({"GET"}),
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": user_agent,
            }
        )

    def close(self):
        self.session.close()

    def fetch_all(self, kind, departement, *, sources=None, progress=None):
        """[(page number, item)] of every page of /api/v1/<kind> for a
        département; `progress(kind, items so far, total)` after each page."""
        items, page, pages = [], 1, None
        while page <= MAX_PAGES:
            params = {"code_departement": departement, "page": page}
            params["size"] = self.page_size
            if sources:
                params["sources"] = sorted(sources)
            document = self.get_page(kind, params)
            found = document["items"]
            items += [(page, item) for item in found]
            pages = (
                document.get("pages")
                if isinstance(document.get("pages"), int)
                else pages
            )
            total = (
                document.get("total")
                if isinstance(document.get("total"), int)
                else None
            )
            if progress:
                progress(kind, len(items), total)
            if not found or (pages is not None and page >= pages):
                break
            if pages is None and len(found) < self.page_size:
                break
            page += 1
        return items

    def get_page(self, kind, params):
        """One page as a dict with an `items` list; raises ClientError."""
        where = f"page {params.get('page', 1)} des {NAMES.get(kind, kind)}"
        document = self._get_json(f"{self.base_url}/api/v1/{kind}", params, where)
        if not isinstance(document, dict) or not isinstance(
            document.get("items"), list
        ):
            raise ClientError(
                f"Réponse inattendue de l'API data·inclusion ({where}) : pas de "
                "liste « items »."
            )
        return document

    def fetch_one(self, kind, ident):
        """One record by id (/api/v1/<kind>/<id>), or None when the API does
        not know it (404); other failures raise ClientError."""
        where = f"{kind} « {ident} »"
        url = f"{self.base_url}/api/v1/{kind}/{quote(str(ident), safe='')}"
        document = self._get_json(url, None, where, missing_ok=True)
        return document if isinstance(document, dict) else None

    def _get_json(self, url, params, where, missing_ok=False):
        try:
            response = self.session.get(
                url, params=params, timeout=self.timeout, stream=True
            )
        except requests.exceptions.RequestException as exc:
            if _timed_out(exc):
                raise ClientError(self._too_slow(where)) from None
            raise ClientError(
                f"Connexion impossible à l'API data·inclusion ({self.base_url}, "
                f"{where}) après {_tries(self.retries)} : {type(exc).__name__}."
            ) from None
        with response:
            if missing_ok and response.status_code == 404:
                return None
            self._check_status(response, url, where)
            body = self._read(response, where)
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ClientError(
                f"Réponse illisible de l'API data·inclusion ({where}) : JSON invalide."
            ) from None

    def _too_slow(self, where):
        return (
            f"L'API data·inclusion ne répond pas ({where}) : délai de "
            f"{self.timeout} s dépassé. Réessayez plus tard."
        )

    def _check_status(self, response, url, where):
        status = response.status_code
        if status == 200:
            return
        if status in (401, 403):
            raise ClientError(
                f"Jeton refusé par l'API data·inclusion (HTTP {status}) : vérifiez "
                "DATA_INCLUSION_TOKEN."
            )
        if status == 404:
            raise ClientError(
                f"Adresse inconnue de l'API data·inclusion (HTTP 404) : {url} ; "
                "vérifiez DATA_INCLUSION_URL."
            )
        if status == 429:
            raise ClientError(
                f"L'API data·inclusion refuse trop de requêtes (HTTP 429, {where}) "
                f"après {_tries(self.retries)}. Réessayez plus tard."
            )
        if status >= 500:
            raise ClientError(
                f"L'API data·inclusion est en erreur (HTTP {status}, {where}) après "
                f"{_tries(self.retries)}. Réessayez plus tard."
            )
        raise ClientError(
            f"Réponse inattendue de l'API data·inclusion (HTTP {status}, {where})."
        )

    def _read(self, response, where):
        too_big = ClientError(
            f"Page trop volumineuse ({where}) : plus de "
            f"{_size(self.max_page_bytes)}. Réduisez la taille des pages."
        )
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_page_bytes:
            raise too_big
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > self.max_page_bytes:
                    raise too_big
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            if _timed_out(exc):
                raise ClientError(self._too_slow(where)) from None
            raise ClientError(
                f"Réponse interrompue de l'API data·inclusion ({where}) : "
                f"{type(exc).__name__}."
            ) from None
        return b"".join(chunks)


def _size(count):
    """1536 → '1,5 Ko' (French decimal comma)."""
    for unit, scale in (("Mo", 1024 * 1024), ("Ko", 1024)):
        if count >= scale:
            return (
                f"{count / scale:.1f}".replace(".0", "").replace(".", ",") + f" {unit}"
            )
    return f"{count} octets"


def _tries(retries):
    return "1 essai" if retries == 0 else f"{retries + 1} essais"


def _timed_out(exc):
    """True for a timeout, even wrapped by urllib3's retries in a ConnectionError."""
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # A refused connection is a NewConnectionError, a subclass of the timeouts.
    return isinstance(reason, Urllib3Timeout) and not isinstance(
        reason, NewConnectionError
    )
