"""The profiler's table, laid out for reading: the columns that have something to show, times in
the unit that suits them."""

from __future__ import annotations


def format_time(us: float) -> str:
    """``us`` microseconds as "812.000us", "4.210ms" or "1.503s"."""
    if abs(us) >= 1e6:
        return f"{us / 1e6:.3f}s"
    if abs(us) >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def format_bytes(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(n) >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"


def format_table(rows, entries, width: int, header: str | None) -> str:
    """The table of ``rows`` (shares are of the self time of all ``entries``)."""
    whole = sum(e.self_cpu_time_total for e in entries) or 1.0
    with_memory = any(e.cpu_memory_usage for e in entries)
    with_shapes = any(getattr(e, "input_shapes", None) for e in rows)
    columns = ["Name", "Calls", "Self CPU", "Self CPU %", "CPU total", "CPU total %", "CPU per call"]
    if with_memory:
        columns += ["Output memory", "Self output memory"]
    if with_shapes:
        columns += ["Input shapes"]
    lines = []
    for e in rows:
        name = e.key if len(e.key) <= width else e.key[:width - 3] + "..."
        line = [name, str(e.count), format_time(e.self_cpu_time_total), f"{100 * e.self_cpu_time_total / whole:.2f}%",
                format_time(e.cpu_time_total), f"{100 * e.cpu_time_total / whole:.2f}%", format_time(e.cpu_time)]
        if with_memory:
            line += [format_bytes(e.cpu_memory_usage), format_bytes(e.self_cpu_memory_usage)]
        if with_shapes:
            line += [str(e.input_shapes) if e.input_shapes is not None else ""]
        lines.append(line)
    widths = [max([len(c)] + [len(line[i]) for line in lines]) for i, c in enumerate(columns)]

    def join(cells):
        # the name to the left, numbers to the right, shapes to the left
        return "  ".join(cell.ljust(w) if i == 0 or columns[i] == "Input shapes" else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = ([header] if header else []) + [rule, join(columns), rule] + [join(line) for line in lines] + [rule]
    out.append(f"Self CPU time total: {format_time(sum(e.self_cpu_time_total for e in entries))}")
    return "\n".join(out) + "\n"
