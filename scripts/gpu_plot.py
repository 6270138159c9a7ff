#!/usr/bin/env python3
"""Draws the GPU check's throughput sweep as an SVG file, by hand, with the
standard library alone (the GPU machine may have no matplotlib).

    python3 gpu_plot.py typeflux.txt pytorch.txt throughput.svg

It reads the `sweep mlp{W} {pass} {way} {batch} {rate} Msamples/s` lines of
both benchmarks' output (a missing file or a `none` rate is left out) and
draws samples per second against the batch, both axes logarithmic: one panel
for each width and pass, one line for each way, typeflux's solid and
PyTorch's dashed."""
import math
import sys
from xml.sax.saxutils import escape

# Each way's colour, dashes and legend label, in the legend's order.
WAYS = [
    ("fused_tf32", "#d62728", "", "typeflux fused, TF32 products"),
    ("fused_exact", "#ff7f0e", "", "typeflux fused, exact f32 products"),
    ("layers", "#8c564b", "", "typeflux layer by layer"),
    ("torch_eager", "#1f77b4", "6 4", "PyTorch eager, fp32"),
    ("torch_tf32", "#17becf", "6 4", "PyTorch eager, TF32"),
    ("torch_compile", "#2ca02c", "6 4", "PyTorch torch.compile, fp32"),
]
PASSES = [("forward", "inference"), ("train", "training step")]

# The figure's layout, in pixels.
PANEL_W, PANEL_H = 420, 260
LEFT, TOP, GAP_X, GAP_Y = 80, 70, 90, 70
LEGEND_H = 70


def read(paths):
    """The sweep's rates in samples per second, by (model, pass, way),
    each a list of (batch, rate); and the device lines."""
    series, devices = {}, []
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError as e:
            print(f"gpu_plot: {path}: {e.strerror}, left out", file=sys.stderr)
            continue
        for line in lines:
            fields = line.split()
            if fields[:1] == ["device"]:
                devices.append(line[len("device ") :])
            if len(fields) != 7 or fields[0] != "sweep" or fields[6] != "Msamples/s":
                continue
            _, model, pass_, way, batch, rate, _ = fields
            try:
                batch, rate = int(batch), float(rate) * 1e6
            except ValueError:
                continue
            if rate > 0:
                series.setdefault((model, pass_, way), []).append((batch, rate))
    for points in series.values():
        points.sort()
    return series, devices


def log_ticks(low, high):
    """Powers of ten from below `low` to above `high`, and the 2s and 5s
    between them where the range spans fewer than three decades."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    if last == first:
        last += 1
    steps = (1, 2, 5) if last - first < 3 else (1,)
    ticks = [m * 10.0**e for e in range(first, last) for m in steps] + [10.0**last]
    return first, last, ticks


def si(value):
    """`value` as 16K, 2M, 1G."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if value >= size:
            scaled = value / size
            return f"{scaled:.0f}{suffix}" if scaled >= 10 else f"{scaled:g}{suffix}"
    return f"{value:g}"


def batch_label(batch):
    """A batch of 2^k as 16K, 2M."""
    for shift, suffix in ((20, "M"), (10, "K")):
        if batch >= 1 << shift and batch % (1 << shift) == 0:
            return f"{batch >> shift}{suffix}"
    return str(batch)


def panel(out, x0, y0, title, lines, batches, y_first, y_last, y_ticks):
    """One panel at (x0, y0): axes, ticks, grid and `lines`, a list of
    (way's style, points)."""
    b_low, b_high = math.log2(batches[0]), math.log2(batches[-1])
    if b_high == b_low:
        b_low, b_high = b_low - 1, b_high + 1

    def x_of(batch):
        return x0 + (math.log2(batch) - b_low) / (b_high - b_low) * PANEL_W

    def y_of(rate):
        return y0 + PANEL_H - (math.log10(rate) - y_first) / (y_last - y_first) * PANEL_H

    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{y0 - 10}" text-anchor="middle" font-weight="bold">{escape(title)}</text>')
    for rate in y_ticks:
        y = y_of(rate)
        major = math.isclose(math.log10(rate), round(math.log10(rate)))
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_W}" y2="{y:.1f}" stroke="{"#ccc" if major else "#eee"}"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{si(rate)}</text>')
    for batch in batches:
        x = x_of(batch)
        out.append(f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + PANEL_H}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{y0 + PANEL_H + 16}" text-anchor="middle" font-size="11">{batch_label(batch)}</text>')
    out.append(f'<rect x="{x0}" y="{y0}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{x0 + PANEL_W / 2}" y="{y0 + PANEL_H + 34}" text-anchor="middle" font-size="12">batch</text>')
    out.append(
        f'<text x="{x0 - 55}" y="{y0 + PANEL_H / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 {x0 - 55} {y0 + PANEL_H / 2})">samples/s</text>'
    )
    for (colour, dashes), points in lines:
        xy = " ".join(f"{x_of(b):.1f},{y_of(r):.1f}" for b, r in points)
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        out.append(f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for b, r in points:
            out.append(f'<circle cx="{x_of(b):.1f}" cy="{y_of(r):.1f}" r="2.5" fill="{colour}"/>')


def draw(series, devices):
    """The figure's SVG text."""
    models = sorted({model for model, _, _ in series}, key=lambda m: (len(m), m))
    width = LEFT + 2 * PANEL_W + GAP_X + 40
    rows = max(len(models), 1)
    height = TOP + rows * (PANEL_H + GAP_Y) + LEGEND_H
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">'
        "Small chains: four hidden Dense layers (ReLU) and 10 outputs</text>",
    ]
    if devices:
        out.append(f'<text x="{width / 2}" y="44" text-anchor="middle" font-size="12">{escape(devices[-1])}</text>')
    if not series:
        out.append(f'<text x="{width / 2}" y="{TOP + 40}" text-anchor="middle">no sweep figures</text>')
    else:
        rates = [r for points in series.values() for _, r in points]
        y_first, y_last, y_ticks = log_ticks(min(rates), max(rates))
        batches = sorted({b for points in series.values() for b, _ in points})
        for row, model in enumerate(models):
            width_of = model.removeprefix("mlp")
            for column, (pass_, name) in enumerate(PASSES):
                lines = [
                    ((colour, dashes), series[(model, pass_, way)])
                    for way, colour, dashes, _ in WAYS
                    if (model, pass_, way) in series
                ]
                x0 = LEFT + column * (PANEL_W + GAP_X)
                y0 = TOP + 20 + row * (PANEL_H + GAP_Y)
                panel(out, x0, y0, f"{width_of} wide, {name}", lines, batches, y_first, y_last, y_ticks)
    legend_y = height - LEGEND_H + 15
    for i, (_, colour, dashes, label) in enumerate(WAYS):
        x = LEFT + (i % 3) * 290
        y = legend_y + (i // 3) * 22
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 30}" y2="{y}" stroke="{colour}" stroke-width="2"{dash}/>')
        out.append(f'<text x="{x + 38}" y="{y + 4}" font-size="12">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) < 3:
        print("usage: gpu_plot.py RESULTS.txt... OUT.svg", file=sys.stderr)
        return 2
    *inputs, target = sys.argv[1:]
    series, devices = read(inputs)
    with open(target, "w", encoding="utf-8") as f:
        f.write(draw(series, devices))
    if not series:
        print("gpu_plot: no sweep figures in " + ", ".join(inputs), file=sys.stderr)
        return 1
    print(f"wrote {target}: {len(series)} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
