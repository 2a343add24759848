"""The colour palettes, as hex strings (plain Python: `qt_theme` turns them into QColors).

Two themes, light and dark, with the same keys, so painting code names a colour by what it
means ("committed", "hw", "leader") and never by its value. Presenter mode (projectors, the
back of a classroom) keeps the theme and raises the contrast of the quiet colours: muted text,
faint lines and empty cells move towards the text colour.

Colours that carry a meaning stay apart for the common colour blindnesses (blue / orange /
magenta / green are never the only cue: every mark also has a word on it). `on_bright` is the
text on bright fills (amber leader tag, orange uncommitted cell) and is dark in both themes;
`on_dark` is the text on saturated fills (broker header, committed cell) and is white in both.
"""

from __future__ import annotations

THEMES = ("light", "dark")

LIGHT = {
    "background": "#ffffff",
    "text": "#111111",
    "muted": "#555555",
    "faint": "#b0b0b0",
    "faint_text": "#8a8a8a",
    "on_dark": "#ffffff",
    "on_bright": "#111111",
    "hint_on_dark": "#96ffffff",        # #AARRGGBB: the header's "click: kill ..." hint
    "label_bg": "#ebffffff",            # behind flight labels and captions, over the canvas
    "column": "#f1f4f7",
    "column_dead": "#fbe9e7",
    "broker": "#263238",
    "dead": "#b71c1c",
    "dead_text": "#ffffff",
    "dead_bg": "#ffebee",
    "crashed_bg": "#fff5f5",
    "isolated": "#ef6c00",
    "column_isolated": "#fff3e0",
    "zombie": "#212121",
    "zombie_text": "#c6ff00",
    "zombie_bg": "#f9fbe7",
    "selected": "#2962ff",
    "slow": "#ffd54f",
    "crown": "#ffd700",
    "flash": "#ffab00",
    "election": "#6a1b9a",
    "good": "#2e7d32",
    "status_ok": "#1b5e20",
    "info": "#455a64",
    "alive": "#69f0ae",
    "warning": "#ffd54f",
    "controller": "#6a1b9a",
    "controller_bg": "#f3e5f5",
    "leader": "#f9a825",
    "leader_bg": "#fff8e1",
    "follower": "#546e7a",
    "follower_tag": "#cfd8dc",
    "strip_bg": "#ffffff",
    "out_of_isr_bg": "#ffebee",
    "not_reading": "#eeeeee",
    "isr": "#2e7d32",
    "error": "#c62828",
    "committed": "#1565c0",
    "uncommitted": "#ffb74d",
    "uncommitted_edge": "#e65100",
    "empty": "#ffffff",
    "hw": "#0d47a1",
    "leo": "#c2185b",
    "produce": "#e65100",
    "producer_bg": "#fff3e0",
    "consume": "#00838f",
    "rebalance": "#ad1457",
    "group_bg": "#fce4ec",
    "lane_bg": "#fafafa",
    "audit_ok_bg": "#e8f5e9",
    "audit_info_bg": "#e3f2fd",
    "audit_warn_bg": "#fff3e0",
    "audit_none_bg": "#f5f5f5",
    "grid": "#555555",
    # storage and transactions (canvas_storage)
    "commit_marker": "#2e7d32",
    "abort_marker": "#c62828",
    "aborted": "#e0e0e0",
    "aborted_edge": "#757575",
    "aborted_text": "#616161",
    "open_txn": "#6a1b9a",
    "tombstone": "#37474f",
    "lso": "#00897b",
    "segment_band": "#e3e8ec",
    "segment_tick": "#37474f",
    "segment_closed": "#cfd8dc",
    "segment_cleaned": "#80cbc4",
    "segment_deleted": "#ef9a9a",
    "hatch": "#aaffffff",                 # ARGB: the white stripes over an open transaction's cells
    "console_error": "#c62828",
    "console_echo": "#1565c0",
}

DARK = {
    "background": "#15191d",
    "text": "#eceff1",
    "muted": "#b0bec5",
    "faint": "#56646e",
    "faint_text": "#8193a0",
    "on_dark": "#ffffff",
    "on_bright": "#111111",
    "hint_on_dark": "#a0ffffff",
    "label_bg": "#eb15191d",
    "column": "#1f262d",
    "column_dead": "#3a1c1c",
    "broker": "#3d4f5a",
    "dead": "#e53935",
    "dead_text": "#ffffff",
    "dead_bg": "#3a1c1c",
    "crashed_bg": "#2e1b1b",
    "isolated": "#fb8c00",
    "column_isolated": "#352814",
    "zombie": "#000000",
    "zombie_text": "#c6ff00",
    "zombie_bg": "#262b12",
    "selected": "#5c8dff",
    "slow": "#ffd54f",
    "crown": "#ffd700",
    "flash": "#ffab00",
    "election": "#ce93d8",
    "good": "#43a047",
    "status_ok": "#81c784",
    "info": "#90a4ae",
    "alive": "#69f0ae",
    "warning": "#ffd54f",
    "controller": "#b57bd0",
    "controller_bg": "#271d30",
    "leader": "#ffb300",
    "leader_bg": "#2e2612",
    "follower": "#8fa3ae",
    "follower_tag": "#b0bec5",
    "strip_bg": "#1a2026",
    "out_of_isr_bg": "#3a1d21",
    "not_reading": "#3d4950",
    "isr": "#388e3c",
    "error": "#ef5350",
    "committed": "#1e78d2",
    "uncommitted": "#ffb74d",
    "uncommitted_edge": "#fb8c00",
    "empty": "#111417",
    "hw": "#64b5f6",
    "leo": "#f06292",
    "produce": "#ff9800",
    "producer_bg": "#2c1f10",
    "consume": "#26c6da",
    "rebalance": "#f06292",
    "group_bg": "#321a26",
    "lane_bg": "#1b1f24",
    "audit_ok_bg": "#1b3320",
    "audit_info_bg": "#13283d",
    "audit_warn_bg": "#35260f",
    "audit_none_bg": "#22282d",
    "grid": "#b0bec5",
    # storage and transactions (canvas_storage)
    "commit_marker": "#66bb6a",
    "abort_marker": "#ef5350",
    "aborted": "#3a3f44",
    "aborted_edge": "#9e9e9e",
    "aborted_text": "#bdbdbd",
    "open_txn": "#ce93d8",
    "tombstone": "#b0bec5",
    "lso": "#4db6ac",
    "segment_band": "#262c32",
    "segment_tick": "#b0bec5",
    "segment_closed": "#37474f",
    "segment_cleaned": "#00796b",
    "segment_deleted": "#8e3b3b",
    "hatch": "#66ffffff",
    "console_error": "#ef5350",
    "console_echo": "#64b5f6",
}

# Presenter mode: the quiet colours get loud enough for a projector.
PRESENTER = {
    "light": {"muted": "#262626", "faint": "#6e6e6e", "faint_text": "#4a4a4a", "follower": "#263238",
              "info": "#263238", "column": "#e8edf1", "grid": "#222222"},
    "dark": {"background": "#000000", "text": "#ffffff", "muted": "#e0e0e0", "faint": "#8a9aa5",
             "faint_text": "#c0ccd3", "follower": "#cfd8dc", "info": "#cfd8dc", "grid": "#e0e0e0"},
}

FLIGHTS = {
    "light": {"produce": "#e65100", "ack": "#2e7d32", "replicate": "#1565c0", "fetch": "#546e7a", "hw": "#0d47a1",
              "truncate": "#c62828", "consume": "#00838f", "client": "#757575", "control": "#6a1b9a",
              "vote": "#8e24aa", "lost": "#c62828", "group": "#ad1457", "rebalance": "#ff8f00",
              "commit": "#6d4c41", "commit_marker": "#2e7d32", "abort_marker": "#c62828", "txn": "#00897b"},
    "dark": {"produce": "#ff9800", "ack": "#66bb6a", "replicate": "#42a5f5", "fetch": "#90a4ae", "hw": "#64b5f6",
             "truncate": "#ef5350", "consume": "#26c6da", "client": "#9e9e9e", "control": "#ce93d8",
             "vote": "#ba68c8", "lost": "#ef5350", "group": "#f06292", "rebalance": "#ffb300",
             "commit": "#bcaaa4", "commit_marker": "#66bb6a", "abort_marker": "#ef5350", "txn": "#4db6ac"},
}

# Chart curves: one colour per series (partition, producer, group), distinct on either background.
SERIES = {
    "light": ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#b8860b", "#a6761d", "#666666"),
    "dark": ("#4dd0e1", "#ffb74d", "#b39ddb", "#f48fb1", "#aed581", "#fff176", "#bcaaa4", "#e0e0e0"),
}

# Consumers' colours, the same in both themes (each card and tag has its own fill): colour-blind
# safe (Okabe-Ito, darkened where white text must stay readable); every mark in a consumer's
# colour also carries its name.
OWNER_PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#b8860b", "#56b4e9", "#8c564b", "#5e35b1")
LIGHT_OWNERS = frozenset({"#56b4e9", "#cc79a7"})    # take dark text
OWNER_TEXT_DARK, OWNER_TEXT_LIGHT = "#111111", "#ffffff"
NOBODY = "#9e9e9e"                                  # a partition of the group's topics that no member owns
CLEAR = "#00000000"         # no colour at all: what a pixmap holds before a piece is painted into it (paint_cache)


def palette(theme: str, presenter: bool = False) -> dict[str, str]:
    """The colours of `theme` ("light" or "dark"), with presenter mode's contrast when asked."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r}: choose one of {', '.join(THEMES)}")
    colours = dict(LIGHT if theme == "light" else DARK)
    if presenter:
        colours.update(PRESENTER[theme])
    return colours
