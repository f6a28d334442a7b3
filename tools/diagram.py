"""Render an environment's architecture from its inventory as SVG (no Graphviz needed).

Usage: python -m tools.diagram [--env local] [--out docs/architecture-<env>.svg]

The picture is drawn from the variables the roles would use (tools/stack_view):
the VPC and its CIDR, the availability zones, the subnets by tier with their
CIDR blocks, the ALB with WAF, Route 53 and ACM at the edge, the frontend and
backend services, the Aurora writer and readers, the VPC endpoints, and the
security group edges between them (internet -> ALB -> frontend -> backend ->
database, tasks -> endpoints). :func:`render` is a pure function of that view.
"""

from __future__ import annotations

import argparse
import sys
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TIER_STYLE = {"public": ("#e8f4ea", "#2e7d32"), "app": ("#e7eef9", "#1f5fa8"), "db": ("#f3e9f7", "#7b3fa0")}
TIER_TITLE = {"public": "public subnet", "app": "private app subnet", "db": "private DB subnet"}


class Svg:
    def __init__(self, width: int, height: int):
        self.width, self.height = width, height
        self.parts: list[str] = []

    def rect(self, x, y, w, h, fill="#ffffff", stroke="#555555", dash=False, rx=6, label=None):
        attrs = 'stroke-dasharray="6 4" ' if dash else ""
        title = f"<title>{escape(label)}</title>" if label else ""
        self.parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="{rx}" '
                          f'fill="{fill}" stroke="{stroke}" {attrs}stroke-width="1.5">{title}</rect>')

    def text(self, x, y, content, size=12, weight="normal", anchor="start", color="#222222"):
        self.parts.append(f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}" '
                          f'text-anchor="{anchor}" fill="{color}">{escape(str(content))}</text>')

    def box(self, x, y, w, h, lines, fill="#ffffff", stroke="#555555", dash=False, title_size=12):
        self.rect(x, y, w, h, fill, stroke, dash, label=" / ".join(lines))
        for i, line in enumerate(lines):
            self.text(x + w / 2, y + 18 + i * 15, line, title_size if i == 0 else 11,
                      "bold" if i == 0 else "normal", "middle")
        return (x, y, w, h)

    def edge(self, start, end, label="", color="#c62828", dash=False, at=0.5):
        (x1, y1), (x2, y2) = start, end
        style = ' stroke-dasharray="5 3"' if dash else ""
        self.parts.append(f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="{color}" '
                          f'stroke-width="1.6" marker-end="url(#arrow)"{style}><title>{escape(label)}</title></line>')
        if label:
            mx, my = x1 + (x2 - x1) * at, y1 + (y2 - y1) * at
            self.parts.append(f'<text x="{mx + 4:.0f}" y="{my - 4:.0f}" font-size="10" fill="{color}" '
                              f'class="edge">{escape(label)}</text>')

    def render(self, title):
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" font-family="Helvetica, Arial, sans-serif">\n'
                f"<title>{escape(title)}</title>\n"
                '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
                'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#c62828"/></marker></defs>\n'
                f'<rect width="{self.width}" height="{self.height}" fill="#fcfcfc"/>\n')
        return head + "\n".join(self.parts) + "\n</svg>\n"


def center_top(b):
    return (b[0] + b[2] / 2, b[1])


def center_bottom(b):
    return (b[0] + b[2] / 2, b[1] + b[3])


def right_mid(b):
    return (b[0] + b[2], b[1] + b[3] / 2)


def left_mid(b):
    return (b[0], b[1] + b[3] / 2)


def _services(view):
    result = {}
    for name, runtime in (("frontend", "Next.js"), ("backend", "FastAPI")):
        cpu = view.get(f"services_{name}_cpu")
        memory = view.get(f"services_{name}_memory")
        low = view.get(f"services_{name}_min_capacity", view.get(f"services_{name}_desired_count"))
        high = view.get(f"services_{name}_max_capacity", low)
        size = f"{cpu} CPU units / {memory} MiB" if cpu and memory else "size: role default"
        count = f"{low}-{high} tasks" if low is not None else "tasks: role default"
        result[name] = (runtime, size, count)
    return result


def render(view: dict) -> str:
    """The SVG text of the architecture the view describes."""
    env = view.get("stack_environment", "?")
    prefix = view.get("stack_name_prefix") or f"{view.get('stack_project', 'solo-saving')}-{env}"
    region = view.get("stack_region", "")
    azs = list(view.get("network_azs") or view.get("stack_azs") or [])
    cidrs = view.get("network_subnet_cidrs") or {}
    tiers = [t for t in ("public", "app", "db") if t in cidrs]
    ports = {k: view.get(f"network_{k}_port") for k in ("frontend", "backend", "db")}
    interface = [e["service"] if isinstance(e, dict) else str(e)
                 for e in (view.get("endpoints_interface") or []) + (view.get("endpoints_extra_interface") or [])]
    gateway = [e["service"] if isinstance(e, dict) else str(e) for e in (view.get("endpoints_gateway") or [])]
    services = _services(view)
    readers = int(view.get("database_reader_count", 1) or 0)
    domain = view.get("edge_domain") or "<edge_domain>"
    fqdn = f"{view.get('edge_app_host', 'app')}.{domain}" if view.get("edge_app_host") else domain

    n = max(len(azs), 1)
    col_w = 300
    vpc_x, vpc_y = 20, 190
    vpc_w = 40 + n * col_w + (n - 1) * 20
    row_h = {"public": 120, "app": 250, "db": 120}
    vpc_h = 60 + sum(row_h[t] + 20 for t in tiers)
    side_x = vpc_x + vpc_w + 40
    width = side_x + 300
    height = vpc_y + vpc_h + 60
    svg = Svg(width, height)

    svg.text(20, 28, f"{prefix} - architecture ({env}, {region})", 18, "bold")
    svg.text(20, 46, "Drawn from the inventory by `make diagram`; red arrows are security group rules.", 11,
             color="#666666")

    # Edge: users, Route 53, ACM, WAF.
    users = svg.box(20, 70, 170, 50, ["Internet users", "HTTPS"], "#fff8e1", "#b28704")
    dns = svg.box(230, 70, 200, 50, ["Route 53", f"{fqdn} (alias to the ALB)"], "#fff3e0", "#e65100")
    acm = svg.box(470, 70, 200, 50, ["ACM certificate", f"{fqdn}, DNS validated"], "#fff3e0", "#e65100")
    rules = [next(iter(r)) for r in (view.get("edge_waf_rules") or []) if isinstance(r, dict)]
    waf = svg.box(710, 70, 230, 50, ["AWS WAF web ACL", ", ".join(dict.fromkeys(rules)) or "rules: role default"],
                  "#ffebee", "#c62828")

    # VPC and its zones.
    svg.rect(vpc_x, vpc_y, vpc_w, vpc_h, "#fafdff", "#1565c0", label="VPC")
    svg.text(vpc_x + 12, vpc_y + 20, f"VPC {view.get('network_vpc_cidr', '?')}  (no NAT gateway)", 14, "bold",
             color="#1565c0")
    col_x = [vpc_x + 20 + i * (col_w + 20) for i in range(n)]
    for i, az in enumerate(azs):
        svg.rect(col_x[i] - 8, vpc_y + 30, col_w + 16, vpc_h - 40, "none", "#90a4ae", dash=True, label=az)
        svg.text(col_x[i], vpc_y + 46, f"Availability zone {az}", 12, "bold", color="#455a64")

    y = vpc_y + 60
    boxes: dict[str, list] = {}
    for tier in tiers:
        fill, stroke = TIER_STYLE[tier]
        for i, az in enumerate(azs):
            block = (cidrs.get(tier) or [])[i] if i < len(cidrs.get(tier) or []) else "?"
            svg.rect(col_x[i], y, col_w, row_h[tier], fill, stroke, label=f"{tier} subnet {az} {block}")
            svg.text(col_x[i] + 8, y + 16, f"{TIER_TITLE[tier]} {block}", 11, "bold", color=stroke)
        boxes[tier] = [y]
        y += row_h[tier] + 20

    # Public tier: the ALB across the zones.
    top = boxes.get("public", [vpc_y + 60])[0]
    alb = svg.box(col_x[0] + 20, top + 30, col_x[-1] + col_w - col_x[0] - 40, 70,
                  ["Application Load Balancer", f"HTTPS 443, TLS 1.3 policy {view.get('edge_ssl_policy', '')}".strip(),
                   f"target group -> frontend :{ports['frontend']}"], "#ffffff", "#2e7d32")

    # App tier: services and interface endpoints in each zone.
    app_y = boxes.get("app", [top + 140])[0]
    fronts, backs, vpces = [], [], []
    for i in range(n):
        runtime, size, count = services["frontend"]
        fronts.append(svg.box(col_x[i] + 10, app_y + 28, col_w - 20, 62,
                              [f"frontend service ({runtime})", size,
                               f"{count} across the zones, :{ports['frontend']}"],
                              "#ffffff", "#1f5fa8"))
        runtime, size, count = services["backend"]
        backs.append(svg.box(col_x[i] + 10, app_y + 100, col_w - 20, 62,
                             [f"backend service ({runtime})", size, f"{count}, :{ports['backend']}, Cloud Map only"],
                             "#ffffff", "#1f5fa8"))
        vpces.append(svg.box(col_x[i] + 10, app_y + 172, col_w - 20, 66,
                             ["VPC interface endpoints", ", ".join(interface) or "none",
                              "private DNS, endpoints SG"], "#fffde7", "#f9a825"))

    # DB tier: Aurora writer and readers.
    db_y = boxes.get("db", [app_y + 270])[0]
    instances = [("Aurora writer", azs[0] if azs else "?")]
    for r in range(readers):
        instances.append((f"Aurora reader {r + 1}" if readers > 1 else "Aurora reader",
                          azs[(r + 1) % len(azs)] if azs else "?"))
    dbs = []
    for name, az in instances:
        i = azs.index(az) if az in azs else 0
        slot = sum(1 for _, a in instances[: len(dbs)] if a == az)
        dbs.append(svg.box(col_x[i] + 10 + slot * 8, db_y + 28 + slot * 8, col_w - 20, 70,
                           [name, f"PostgreSQL {view.get('database_engine_version', '')} Serverless v2",
                            f"{view.get('database_min_capacity', '?')}-{view.get('database_max_capacity', '?')} ACU,"
                            f" encrypted, :{ports['db']}"], "#ffffff", "#7b3fa0"))

    # AWS services outside the VPC.
    svg.text(side_x, vpc_y + 20, "AWS services (no internet egress)", 13, "bold")
    side = {}
    entries = [("ecr", ["Amazon ECR", f"{prefix}/frontend, /backend"]),
               ("logs", ["CloudWatch Logs", f"/ecs/{prefix}/*, WAF logs"]),
               ("ssm", ["SSM Parameter Store", "SecureString DB credentials, API keys"]),
               ("s3", ["Amazon S3", "image layers (gateway endpoint: " + (", ".join(gateway) or "none") + ")"]),
               ("alarms", ["CloudWatch alarms -> SNS", f"{prefix}-alarms (administrator)"]),
               ("ecs", ["ECS cluster", f"{prefix} (Fargate), auto scaling"])]
    for k, (key, lines) in enumerate(entries):
        side[key] = svg.box(side_x, vpc_y + 36 + k * 78, 260, 60, lines, "#f1f8e9", "#558b2f")

    # Edges.
    svg.edge(center_bottom(users), (alb[0] + 150, alb[1]), "HTTPS 443 from 0.0.0.0/0 (ALB SG)", at=0.3)
    svg.edge(center_bottom(waf), (alb[0] + alb[2] - 60, alb[1]), "web ACL on the ALB", at=0.3)
    svg.edge(center_bottom(dns), (alb[0] + 260, alb[1]), "alias record", "#e65100", dash=True, at=0.45)
    svg.edge(center_bottom(acm), (alb[0] + 380, alb[1]), "certificate", "#e65100", dash=True, at=0.45)
    for i in range(n):
        svg.edge((fronts[i][0] + 40, alb[1] + alb[3]), center_top(fronts[i]), f"TCP {ports['frontend']} (frontend SG)")
        svg.edge(center_bottom(fronts[i]), center_top(backs[i]), f"TCP {ports['backend']} (backend SG from frontend)")
        svg.edge((backs[i][0] + 20, backs[i][1] + backs[i][3]), (vpces[i][0] + 20, vpces[i][1]), "HTTPS 443",
                 "#f57f17")
    for i, db in enumerate(dbs):
        src = backs[min(i, n - 1)]
        svg.edge((src[0] + src[2] - 30, src[1] + src[3]), (db[0] + db[2] - 30, db[1]),
                 f"TCP {ports['db']} (DB SG from backend)", at=0.8)
    last = vpces[-1]
    for key in ("ecr", "logs", "ssm"):
        svg.edge(right_mid(last), left_mid(side[key]), "PrivateLink" if key == "ecr" else "", "#f57f17")
    svg.edge((vpc_x + vpc_w, app_y + 20), left_mid(side["s3"]), "S3 gateway endpoint (route tables)", "#f57f17",
             dash=True)
    if dbs:
        svg.edge((dbs[0][0] + 20, dbs[0][1] + dbs[0][3]), (dbs[-1][0] + 20, dbs[-1][1] + dbs[-1][3] + 0.1),
                 "replication", "#7b3fa0", dash=True)
    return svg.render(f"{prefix} architecture")


def main(argv: list[str]) -> int:
    from tools.stack_view import StackViewError, load

    parser = argparse.ArgumentParser(description="Render the architecture of an environment as SVG.")
    parser.add_argument("--env", default="local")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    out = args.out or ROOT / "docs" / f"architecture-{args.env}.svg"
    try:
        view = load(args.env)
    except StackViewError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(view))
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
