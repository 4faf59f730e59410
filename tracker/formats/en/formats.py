"""English dates in an unambiguous European form: 13 Dec 2026, 15:00 (never "Dec. 13, 2026, 3 p.m."),
weeks from Monday. Django's own formats apply to Finnish and Swedish (FORMAT_MODULE_PATH)."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
