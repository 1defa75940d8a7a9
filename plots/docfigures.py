"""Figures a document quotes: the checks of plots/onestep_numbers.py and
plots/dirac_numbers.py, which recompute every number of a note in
docs/theory/ and fail when the note no longer quotes one."""

import math
import re


def quotes(text, value, fig=None):
    """Whether text quotes the figure: fig as written (a string such as
    "-4.9715e-3"), else value as %g; the sign aside (the text may put it as
    "-0.07" or "0.07 below zero"), trailing zeros allowed (0.045 as 0.0450),
    a whole number with its decimal point (1 as 1.0)."""
    if fig is None:
        fig = "%g" % abs(value)
        if "." not in fig and "e" not in fig:
            fig += ".0"
    fig = fig.lstrip("+-")
    return re.search(r"(?<![\d.])" + re.escape(fig) + r"0*(?![\d])", text) is not None


def half_unit(fig):
    """Half a unit of the last digit written in fig ("-4.9715e-3": 5e-8;
    a whole number's trailing zeros are not digits, as in "~1460": 5): how
    far the value it rounds may lie from it."""
    mant, _, exp = fig.lower().partition("e")
    if "." in mant:
        place = -len(mant.partition(".")[2])
    else:
        digits = mant.lstrip("+-")
        place = len(digits) - len(digits.rstrip("0")) if digits.strip("0") else 0
    return 0.5 * 10.0 ** (place + (int(exp) if exp else 0))


def matches(got, fig):
    """Whether got rounds to fig as written (within half a unit of its last
    digit, and a hair for the binary value of fig itself)."""
    return abs(got - float(fig)) <= half_unit(fig) * (1 + 1e-9) + 1e-15 * abs(float(fig))


assert math.isclose(half_unit("-4.9715e-3"), 5e-8) and half_unit("1460") == 5
