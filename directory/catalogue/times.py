"""Timestamps as the database stores them: UTC text, second precision, ordered
like the times they stand for (so SQL compares them as strings)."""

import datetime


def stamp(moment):
    """The stored form of an aware datetime."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")


def now():
    """The stored form of the current time (created/modified columns, logs)."""
    return stamp(datetime.datetime.now(datetime.UTC))
