#!/usr/bin/env python3
"""Draws the benchmark chart (an SVG) from the results file of ci/bench.sh. Standard library only.

    python3 ci/bench/chart.py RESULTS.tsv OUT.svg

Top panel: for each row's main metric, the median ratios ours/libcurl and ours/raw as bars, with the
row's target ratio as a red (libcurl) or orange (raw) mark and 1.0 as a dashed line. The HTTPS rows
(tls_*) are against libcurl with OpenSSL only (no raw-socket bar). wall_s is
"lower is better", so its ratio target is a ceiling. Bottom panel: RSS growth per request (KiB) of
the concurrent rows, ours and libcurl, against the 32 KiB target.
"""
import sys
from xml.sax.saxutils import escape

# (row, metric) -> (label, libcurl target, raw target, higher_is_better)
MAIN = [
    ("gets", "req/s", "2,000 keep-alive GETs (req/s)", 1.5, 0.8, True),
    ("downloadqda", "MiB/s", "100 MiB download, QueryDataAvailable + ReadData (MiB/s)", None, 0.95, True),
    ("download64k", "MiB/s", "100 MiB download, 64 KiB reads (MiB/s)", 1.0, 0.9, True),
    ("download512k", "MiB/s", "100 MiB download, 512 KiB reads (MiB/s)", 1.0, 0.9, True),
    ("upload", "MiB/s", "100 MiB PUT, 64 KiB writes (MiB/s)", 1.2, None, True),
    ("conc1000", "wall_s", "1,000 concurrent GETs (wall s, lower is better)", 1.0, None, False),
    ("conc10000", "wall_s", "10,000 concurrent GETs (wall s, lower is better)", 1.0, None, False),
    ("tls_gets", "req/s", "HTTPS: 2,000 keep-alive GETs (req/s)", 1.0, None, True),
    ("tls_handshakes", "handshakes/s", "HTTPS: 200 full handshakes (handshakes/s)", 1.0, None, True),
    ("tls_downloadqda", "MiB/s", "HTTPS: 100 MiB download, QueryDataAvailable + ReadData (MiB/s)", 1.2, None, True),
    ("tls_download64k", "MiB/s", "HTTPS: 100 MiB download, 64 KiB reads (MiB/s)", 1.0, None, True),
]
MEM = [
    ("conc1000", "1,000 concurrent (RSS growth / N)"),
    ("conc10000", "10,000 concurrent (RSS growth / N)"),
    ("held10000", "10,000 all in flight at once"),
]
MEM_TARGET = 32.0


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


def main():
    src, out = sys.argv[1], sys.argv[2]
    comments, rows = [], {}
    header = None
    with open(src) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                comments.append(line.lstrip("# "))
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            rows[(cols[0], cols[1])] = dict(zip(header, cols))

    W, left, right = 900, 330, 150
    plot_w = W - left - right
    bar_h, gap = 14, 16
    groups = [m for m in MAIN if (m[0], m[1]) in rows]
    ratios = []
    for row, metric, *_ in groups:
        r = rows[(row, metric)]
        ratios += [v for v in (num(r["ours_per_libcurl"]), num(r["ours_per_raw"])) if v is not None]
    xmax = max([2.0] + [v * 1.1 for v in ratios])

    def x(v):
        return left + plot_w * v / xmax

    svg = []
    y = 20
    svg.append(f'<text x="10" y="{y}" font-size="15" font-weight="bold">WinHTTP benchmark: median ratios ours/libcurl and ours/raw socket</text>')
    lines = []
    for c in comments:  # wrapped at "; " to fit the width
        cur = ""
        for part in c.split("; "):
            if cur and len(cur) + len(part) > 150:
                lines.append(cur + ";")
                cur = "    " + part
            else:
                cur = cur + "; " + part if cur else part
        lines.append(cur)
    for c in lines:
        y += 14
        svg.append(f'<text x="10" y="{y}" font-size="10" fill="#444" xml:space="preserve">{escape(c)}</text>')
    y += 22
    legend = [("#1f77b4", "ours / libcurl"), ("#999999", "ours / raw socket"), ("#d62728", "target vs libcurl"), ("#ff7f0e", "target vs raw")]
    lx = left
    for color, text in legend:
        svg.append(f'<rect x="{lx}" y="{y - 10}" width="12" height="10" fill="{color}"/>')
        svg.append(f'<text x="{lx + 16}" y="{y}" font-size="11">{text}</text>')
        lx += 150
    y += 12
    top = y
    for row, metric, label, t_curl, t_raw, higher in groups:
        r = rows[(row, metric)]
        svg.append(f'<text x="{left - 8}" y="{y + bar_h + 4}" font-size="11" text-anchor="end">{escape(label)}</text>')
        for key, color, target, tcolor in (("ours_per_libcurl", "#1f77b4", t_curl, "#d62728"), ("ours_per_raw", "#999999", t_raw, "#ff7f0e")):
            v = num(r[key])
            if v is not None:
                svg.append(f'<rect x="{left}" y="{y}" width="{x(v) - left:.1f}" height="{bar_h}" fill="{color}"/>')
                svg.append(f'<text x="{x(v) + 4:.1f}" y="{y + bar_h - 3}" font-size="10">{v:.2f}</text>')
            if target is not None and (v is not None or key == "ours_per_libcurl"):
                svg.append(f'<line x1="{x(target):.1f}" x2="{x(target):.1f}" y1="{y - 2}" y2="{y + bar_h + 2}" stroke="{tcolor}" stroke-width="3"/>')
            y += bar_h + 2
        verdict = r.get("verdict", "-")
        vcolor = "#2ca02c" if verdict == "met" else "#d62728"
        svg.append(f'<text x="{W - right + 40}" y="{y - bar_h + 2}" font-size="11" fill="{vcolor}">{escape(verdict)}</text>')
        y += gap
    # axis
    svg.append(f'<line x1="{left}" x2="{left}" y1="{top - 4}" y2="{y - gap + 4}" stroke="#000"/>')
    tick = 0.0
    while tick <= xmax + 1e-9:
        svg.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{y - gap + 4}" y2="{y - gap + 8}" stroke="#000"/>')
        svg.append(f'<text x="{x(tick):.1f}" y="{y - gap + 20}" font-size="10" text-anchor="middle">{tick:.1f}</text>')
        tick += 0.5
    svg.append(f'<line x1="{x(1.0):.1f}" x2="{x(1.0):.1f}" y1="{top - 4}" y2="{y - gap + 4}" stroke="#000" stroke-dasharray="4,3"/>')
    y += 30

    mem = [(row, label) for row, label in MEM if (row, "kib_per_req") in rows]
    if mem:
        y += 10
        svg.append(f'<text x="10" y="{y}" font-size="13" font-weight="bold">RSS growth per request (KiB; target: ours &lt; {MEM_TARGET:.0f} KiB)</text>')
        y += 14
        vals = []
        for row, _ in mem:
            r = rows[(row, "kib_per_req")]
            vals += [v for v in (num(r["ours_median"]), num(r["libcurl_median"])) if v is not None]
        mmax = max([MEM_TARGET * 1.25] + [v * 1.1 for v in vals])

        def mx(v):
            return left + plot_w * v / mmax

        mtop = y
        for row, label in mem:
            r = rows[(row, "kib_per_req")]
            svg.append(f'<text x="{left - 8}" y="{y + bar_h + 4}" font-size="11" text-anchor="end">{escape(label)}</text>')
            for key, color, name in (("ours_median", "#1f77b4", "ours"), ("libcurl_median", "#8c564b", "libcurl")):
                v = num(r[key])
                if v is not None:
                    svg.append(f'<rect x="{left}" y="{y}" width="{mx(v) - left:.1f}" height="{bar_h}" fill="{color}"/>')
                    svg.append(f'<text x="{mx(v) + 4:.1f}" y="{y + bar_h - 3}" font-size="10">{name} {v:.1f}</text>')
                y += bar_h + 2
            verdict = r.get("verdict", "-")
            vcolor = "#2ca02c" if verdict == "met" else "#d62728"
            svg.append(f'<text x="{W - right + 40}" y="{y - bar_h + 2}" font-size="11" fill="{vcolor}">{escape(verdict)}</text>')
            y += gap
        svg.append(f'<line x1="{mx(MEM_TARGET):.1f}" x2="{mx(MEM_TARGET):.1f}" y1="{mtop - 4}" y2="{y - gap + 4}" stroke="#d62728" stroke-width="2" stroke-dasharray="6,3"/>')
        svg.append(f'<text x="{mx(MEM_TARGET) + 4:.1f}" y="{mtop + 6}" font-size="10" fill="#d62728">32 KiB</text>')
        svg.append(f'<line x1="{left}" x2="{left}" y1="{mtop - 4}" y2="{y - gap + 4}" stroke="#000"/>')
        y += 10

    notes = []
    for row in ("conc1000", "conc10000", "held10000"):
        r = rows.get((row, "threads"))
        if r:
            cells = [f"ours {r['ours_median']}"] + ([f"libcurl {r['libcurl_median']}"] if r["libcurl_median"] != "-" else [])
            notes.append(f"{row} {', '.join(cells)}")
    if notes:
        y += 6
        svg.append(f'<text x="10" y="{y}" font-size="11">Peak threads (medians; target: fixed, not growing with requests): {escape("; ".join(notes))}</text>')
        y += 8

    H = y + 10
    with open(out, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif">\n')
        f.write(f'<rect width="{W}" height="{H}" fill="#fff"/>\n')
        f.write("\n".join(svg))
        f.write("\n</svg>\n")


if __name__ == "__main__":
    main()
