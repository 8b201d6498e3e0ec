"""Schemathesis hooks for tests/web/test_contract.py (loaded by SCHEMATHESIS_HOOKS).

JSON Schema cannot tie separate query parameters together; the OpenAPI document
states those rules in its `x-parametres-*` extensions, and this hook keeps the
generated requests to them, so that « schema-valid » means valid for the API.
"""

import zlib

import schemathesis

PLACE = {"commune", "lat", "lon"}


def respects_rules(operation, query):
    """False when `query` breaks a rule of the operation's `x-` extensions."""
    present = {name for name, value in (query or {}).items() if value not in (None, "")}
    for group in operation.get("x-parametres-exclusifs", []):
        if set(group) <= present:
            return False
    for group in operation.get("x-parametres-lies", []):
        if present & set(group) and not set(group) <= present:
            return False
    for name, values in operation.get("x-valeurs-avec-lieu", {}).items():
        if (query or {}).get(name) in values and not present & PLACE:
            return False
    return True


def ordered_box(text):
    """A bbox « ouest,sud,est,nord » with its corners swapped as needed so
    that west <= east and south <= north (what x-boite-ordonnee states)."""
    try:
        parts = str(text).split(",")
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        return text
    if west > east:
        parts[0], parts[2] = parts[2], parts[0]
    if south > north:
        parts[1], parts[3] = parts[3], parts[1]
    return ",".join(parts)


@schemathesis.hook
def filter_case(context, case):
    return respects_rules(case.operation.definition.raw, case.query)


@schemathesis.hook
def map_case(context, case):
    """A valid request names a real commune: whether « 0000 » is one is data,
    not schema, so positive cases take one of the parameter's examples."""
    if case.meta is None or case.meta.generation.mode.value != "positive":
        return case
    query = case.query or {}
    box = case.operation.definition.raw.get("x-boite-ordonnee")
    if box and query.get(box):
        query[box] = ordered_box(query[box])
    if query.get("commune"):
        examples = next(
            (
                p["schema"].get("examples", [])
                for p in case.operation.definition.raw.get("parameters", [])
                if p["name"] == "commune"
            ),
            [],
        )
        if examples:
            value = str(query["commune"]).encode()
            query["commune"] = examples[zlib.crc32(value) % len(examples)]
    return case
