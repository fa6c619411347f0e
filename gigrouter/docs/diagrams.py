"""The Mermaid diagrams of the generated docs: the architecture (users, the shared ALB, the
Services of each namespace, NetworkPolicies and secret stores) and the sync waves (one subgraph
per wave, an edge per dependency). Every label goes through ``markdown.label`` and every node id
through ``markdown.MermaidIds``.
"""

from __future__ import annotations

from itertools import pairwise

from gigrouter.docs.facts import Facts, Service
from gigrouter.layout import TreeSettings
from gigrouter.markdown import MermaidIds, label
from gigrouter.model import Platform

ALB_CONTROLLER_CHART = "aws-load-balancer-controller"
PROVIDERS = {
    "SecretsManager": "Secrets Manager",
    "ParameterStore": "Systems Manager Parameter Store",
}


def waves_diagram(platform: Platform, settings: TreeSettings) -> list[str]:
    """A flowchart: the root app, one subgraph per wave, dependency edges between apps."""
    ids = MermaidIds()
    prefix = settings.app_prefix
    lines = ["flowchart LR"]
    apps = platform.active_applications()
    waves = sorted({platform.wave_of(a.name) for a in apps})
    root = ids("root")
    if settings.applications != "none":
        name = prefix + platform.argocd.root.name
        lines.append(f"    {root}[{label(name, 'app of apps')}]")
    for wave in waves:
        lines.append(f"    subgraph {ids('wave', str(wave))}[{label(f'wave {wave}')}]")
        for app in apps:
            if platform.wave_of(app.name) == wave:
                node = label(prefix + app.name, app.namespace)
                lines.append(f"        {ids('app', app.name)}[{node}]")
        lines.append("    end")
    if waves and settings.applications != "none":
        lines.append(f"    {root} --> {ids('wave', str(waves[0]))}")
    waits = settings.applications == "own" and platform.argocd.application_health_check
    arrow = '==>|"Healthy"|' if waits else "-.->"
    for before, after in pairwise(waves):
        lines.append(f"    {ids('wave', str(before))} {arrow} {ids('wave', str(after))}")
    for app in apps:
        for dep in app.depends_on:
            lines.append(f"    {ids('app', dep)} --> {ids('app', app.name)}")
    return lines


def architecture_diagram(platform: Platform, found: Facts) -> list[str]:
    """Users -> the ALB -> Services, namespace by namespace; policies and secret stores."""
    ids = MermaidIds()
    lines = ["flowchart LR"]
    apps = platform.active_applications()
    namespaces = sorted({a.namespace for a in apps})
    alb = ids("alb")
    if found.routes:
        users = ids("users")
        lines.append(f"    {users}([{label('users')}])")
        alb_text = f"ALB {platform.alb.group_name}"
        lines.append(f"    {alb}{{{{{label(alb_text, platform.alb.scheme)}}}}}")
        lines.append(f"    {users} --> {alb}")
    services = {(s.namespace, s.name): s for s in found.services}
    for route in found.routes:  # Services a chart creates, or that come from elsewhere
        declared = any(
            (e.kind, e.namespace, e.name) == ("Service", route.namespace, route.service)
            for e in platform.externals
        )
        origin = (
            "created by the chart"
            if route.by_chart
            else "external"
            if declared
            else "not in this tree"
        )
        if (route.namespace, route.service) not in services:
            services[route.namespace, route.service] = Service(
                route.app, route.namespace, route.service, route.port, origin
            )
    for ns in sorted({*namespaces, *(k[0] for k in services)}):
        lines.append(f"    subgraph {ids('ns', ns)}[{label(f'namespace {ns}')}]")
        for (s_ns, name), svc in sorted(services.items()):
            if s_ns == ns:
                node = label(f"Service {name} :{svc.port}", svc.workload)
                lines.append(f"        {ids('svc', ns, name)}[{node}]")
        for w in found.workloads:
            if w.namespace == ns and w.kind == "DaemonSet":
                lines.append(f"        {ids('wl', ns, w.name)}[{label(f'DaemonSet {w.name}')}]")
        for chart in found.charts:
            if chart.namespace == ns:
                node = label(chart.app, f"Helm {chart.chart} {chart.version}")
                lines.append(f"        {ids('app', chart.app)}[{node}]")
        lines.append("    end")
    for route in found.routes:
        edge = label(route.host + route.path)
        lines.append(f"    {alb} -->|{edge}| {ids('svc', route.namespace, route.service)}")
    if found.routes:
        for chart in found.charts:
            if chart.chart == ALB_CONTROLLER_CHART:
                lines.append(f"    {ids('app', chart.app)} -.->|{label('manages')}| {alb}")
    drawn: set[str] = set()  # nodes outside the namespaces' subgraphs
    for policy in found.policies:
        targets = [
            ids("svc", s.namespace, s.name)
            for s in found.services
            if s.namespace == policy.namespace and s.workload == f"Deployment {policy.workload}"
        ] or [ids("ns", policy.namespace)]
        for source in policy.from_namespaces:
            if source not in namespaces and ids("ns", source) not in drawn:
                drawn.add(ids("ns", source))
                lines.append(f"    {ids('ns', source)}[{label(f'namespace {source}')}]")
            for target in targets:
                edge = label(f"NetworkPolicy {policy.name}")
                lines.append(f"    {ids('ns', source)} -.->|{edge}| {target}")
    for store in found.stores:
        aws = ids("aws", store.provider, store.region)
        if aws not in drawn:
            drawn.add(aws)
            provider = f"AWS {PROVIDERS.get(store.provider, store.provider)}"
            lines.append(f"    {aws}[({label(provider, store.region)})]")
        names = sorted(
            {
                s.external_secret
                for s in found.secrets
                if (s.namespace, s.store) == (store.namespace, store.name)
            }
        )
        edge = label(f"SecretStore {store.name}", *(f"ExternalSecret {n}" for n in names))
        lines.append(f"    {aws} -.->|{edge}| {ids('ns', store.namespace)}")
    return lines
