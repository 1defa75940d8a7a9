"""Figures a document quotes: the checks of plots/onestep_numbers.py and
plots/dirac_numbers.py, which recompute every number of a note in
docs/theory/ and fail when the note no longer quotes one."""

import math
import os
import re


def note(name):
    """The text of docs/theory/NAME, the note whose figures are checked."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "theory", name)
    with open(path, encoding="utf-8") as f:
        return f.read()


def quotes(text, value, fig=None):
    """Whether text quotes the figure: fig as written (a string such as
    "-4.9715e-3"), else value as %g (exponent as a note writes it: 1e-5, not
    1e-05).  An unsigned figure matches either sign ("0.07" in "-0.07" or in
    "0.07 below zero"); a signed one not the opposite sign.  A decimal
    figure without exponent may carry trailing zeros (0.045 as 0.0450); a
    whole number is written with its decimal point (1 as 1.0) unless fig
    says otherwise.  The figure must end where the number in the text ends."""
    if fig is None:
        fig = "%g" % abs(value)
        if "." not in fig and "e" not in fig:
            fig += ".0"
        fig = re.sub(r"e([+-])0*(\d)", lambda m: "e" + m.group(1).strip("+") + m.group(2), fig)
    sign, body = (fig[0], fig[1:]) if fig[:1] in "+-" else ("", fig)
    mant, e, exp = body.partition("e")
    pat = re.escape(body) + ("0*" if "." in mant and not e else "")
    before = r"(?<![\d.])" if not sign else r"(?<![\d.%s])" % ("-" if sign == "+" else "+")
    return re.search(before + pat + r"(?![\deE]|\.\d)", text) is not None


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
assert quotes("a 0.0450 b", 0.045) and not quotes("1.48e50", 0, "1.48e5")
assert not quotes("~14600", 0, "1460") and not quotes("0.38e-2", 0.38)
assert not quotes("rate +4.9715e-3", 0, "-4.9715e-3") and quotes("is -0.07", 0.07)
assert quotes("k 1e-5 here", 1e-5) and not quotes("v 1.5.3", 1.5)
