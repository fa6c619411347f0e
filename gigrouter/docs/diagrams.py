"""The Mermaid diagrams of the generated docs: the architecture (users, the ALB or ingress
controller of each ingress profile, the Services of each namespace, NetworkPolicies and secret
stores) and the sync waves (one subgraph per wave, an edge per dependency). Every label goes
through ``markdown.label`` and every node id through ``markdown.MermaidIds``.
"""

from __future__ import annotations

from itertools import pairwise

from gigrouter.docs.facts import Facts, Service
from gigrouter.layout import TreeSettings
from gigrouter.markdown import MermaidIds, label
from gigrouter.model import AlbProfile, Platform
from gigrouter.model.ingress import LEGACY_PROFILE

ALB_CONTROLLER_CHART = "aws-load-balancer-controller"
AWS_SERVICES = ("SecretsManager", "ParameterStore")
PROVIDERS = {  # a Store's provider, named for people
    "SecretsManager": "AWS Secrets Manager",
    "ParameterStore": "AWS Systems Manager Parameter Store",
    "vault": "HashiCorp Vault",
    "gcpsm": "Google Cloud Secret Manager",
    "azurekv": "Azure Key Vault",
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
    profiles = platform.profiles()
    used = [n for n in profiles if any(r.profile == n for r in found.routes)]

    def entry(name: str) -> str:  # the node of a profile's load balancer or controller
        return ids("alb") if name == LEGACY_PROFILE else ids("ingress", name)

    if found.routes:
        users = ids("users")
        lines.append(f"    {users}([{label('users')}])")
        for name in used:
            profile = profiles[name]
            if isinstance(profile, AlbProfile):
                node = label(f"ALB {profile.group_name}", profile.scheme)
            else:
                node = label(f"ingress class {profile.class_name}", f"profile {name}")
            lines.append(f"    {entry(name)}{{{{{node}}}}}")
            lines.append(f"    {users} --> {entry(name)}")
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
        target = ids("svc", route.namespace, route.service)
        lines.append(f"    {entry(route.profile)} -->|{edge}| {target}")
    albs = [n for n in used if isinstance(profiles[n], AlbProfile)]
    for chart in found.charts:
        if chart.chart == ALB_CONTROLLER_CHART:
            for name in albs:
                lines.append(f"    {ids('app', chart.app)} -.->|{label('manages')}| {entry(name)}")
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
        if store.provider in AWS_SERVICES:
            source = ids("aws", store.provider, store.region)
        else:
            source = ids(store.provider, store.region)
        if source not in drawn:
            drawn.add(source)
            where = [store.region] if store.region else []
            provider = PROVIDERS.get(store.provider, store.provider)
            lines.append(f"    {source}[({label(provider, *where)})]")
        names = sorted(
            {
                s.external_secret
                for s in found.secrets
                if (s.namespace, s.store) == (store.namespace, store.name)
            }
        )
        edge = label(f"{store.kind} {store.name}", *(f"ExternalSecret {n}" for n in names))
        lines.append(f"    {source} -.->|{edge}| {ids('ns', store.namespace)}")
    return lines
