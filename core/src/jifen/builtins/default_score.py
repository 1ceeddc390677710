"""The default contribution score, ``jifen.default`` version 1: the sum of moral points within
the window, with per-category weights (JF-SCORE-1, JF-EXP-2, JF-CAT-5).

It answers ``compute_score`` last (``trylast``), so any other plugin that answers replaces it
(JF-SCORE-3); a plugin that returns ``None`` leaves the subject to it.
"""

from __future__ import annotations

from jifen import hookimpl
from jifen.scoring import Score, ScoreRequest, default_method


@hookimpl(trylast=True)
def compute_score(request: ScoreRequest) -> Score:
    return default_method(request)
