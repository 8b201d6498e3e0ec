"""No data·inclusion record, however odd, crashes the reader: it is mapped,
left out with a reason, or reported (hypothesis over JSON-like values)."""

import datetime
import json

from conftest import DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.sources.convert import Converter
from directory.sources.datainclusion import load_files
from directory.sources.files import Unreadable, parse_file
from directory.sources.mapping import load_tables

FIELDS = [
    "id",
    "source",
    "structure_id",
    "nom",
    "description",
    "thematiques",
    "publics",
    "profils",
    "frais",
    "frais_autres",
    "modes_accueil",
    "modes_mobilisation",
    "mobilisable_par",
    "modes_orientation_beneficiaire",
    "modes_orientation_accompagnateur_autres",
    "code_insee",
    "commune",
    "code_postal",
    "latitude",
    "zone_eligibilite",
    "zone_diffusion_type",
    "zone_diffusion_code",
    "date_maj",
    "date_suspension",
    "horaires_accueil",
    "contact_public",
    "pre_requis",
    "justificatifs",
    "score_qualite",
    "telephone",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["15014", "15", "france", "63113", "famille--garde-denfants", "2026-01-01"]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=8,
)
RECORDS = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=12)
CONVERTER = Converter(load_tables(DATA), today=datetime.date(2026, 11, 26))
SLOW = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@SLOW
@given(service=RECORDS, structure=st.one_of(st.none(), RECORDS))
def test_converter_never_raises(service, structure):
    result = CONVERTER.convert(service, structure)
    if result.row is not None:
        assert all(isinstance(v, str) for v in result.row.values())
    else:
        assert result.reason


@SLOW
@given(records=st.lists(st.one_of(RECORDS, VALUES), max_size=6))
def test_files_of_anything_are_read_or_refused_in_french(records, tmp_path_factory):
    path = tmp_path_factory.mktemp("x") / "services.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    batch = load_files([path])
    assert all(i.text for i in batch.issues)
    assert all(isinstance(line, int) for line, _ in batch.rows)


@SLOW
@given(data=st.binary(max_size=200))
def test_any_bytes_parse_or_raise_unreadable(data):
    try:
        parse_file(data, "x.json")
    except Unreadable as exc:
        assert str(exc).startswith("x.json : ")
