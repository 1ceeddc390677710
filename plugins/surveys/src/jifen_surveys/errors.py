"""The errors of the surveys plugin, each with a stable code (JF-API-3).

They subclass jifen's own error classes, so the CLI prints them as ``error[<code>]: <message>``
and the HTTP layer maps them like any other jifen error.
"""

from __future__ import annotations

from jifen.errors import Conflict, InvalidInput


class InvalidDefinition(InvalidInput):
    """A survey definition (a file or a model) is invalid; the message names every field."""

    code = "survey.invalid_definition"


class SurveyExists(Conflict):
    """A survey with this code exists already in the tenant."""

    code = "survey.exists"


class SurveyNotOpen(Conflict):
    """The survey is not open: it opens later, or it has closed."""

    code = "survey.not_open"


class UnknownQuestion(InvalidInput):
    """An answer names a question the survey does not ask."""

    code = "survey.unknown_question"


class UnknownChoice(InvalidInput):
    """An answer is not one of its question's choices."""

    code = "survey.unknown_choice"


class MissingAnswer(InvalidInput):
    """A question is left unanswered; every question needs an answer."""

    code = "survey.missing_answer"


class AlreadyAnswered(Conflict):
    """The resident has answered this survey already: one response per resident (JF-ENG-1)."""

    code = "survey.already_answered"
