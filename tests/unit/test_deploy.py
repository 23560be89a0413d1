"""The production deployment files agree with each other and with the code.

deploy/k8s (validated against the Kubernetes JSON schemas of kubernetes-validate, which
ships them: no network), deploy/nginx/nginx.conf, deploy/compose.yaml, deploy/gunicorn and
the Dockerfile. The routing they must all implement is the one services/gateway.py mounts
in one process: a prefix per service, the API prefixes on unchanged paths.
"""
from __future__ import annotations

import functools
import importlib
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
NGINX_CONF = DEPLOY / "nginx" / "nginx.conf"
COMPOSE = DEPLOY / "compose.yaml"
GUNICORN = DEPLOY / "gunicorn"

K8S_VERSION = "1.31"  # the oldest Kubernetes the manifests must run on
WEB = ("testing", "authoring", "scoring", "results", "library")
IMAGE = "ghcr.io/taitotaso/taitotaso"
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml where PyYAML has it


# -- what the files must agree on ---------------------------------------------------------
def _service_of(module: str) -> str:
    # "services.results.app" -> "results"
    return module.split(".")[1]


def gateway_routes() -> dict[str, str]:
    """Path prefix -> service, as services/gateway.py routes the suite in one process."""
    from services import gateway

    routes = {"/": "testing"}
    routes |= {prefix: _service_of(m) for prefix, m in gateway.SERVICES.items()}
    routes |= {prefix: _service_of(m) for prefix, m in gateway.API_SERVICES.items()}
    return routes


def mount_prefix(service: str) -> str:
    """The prefix under which the gateway mounts ``service`` (its SCRIPT_NAME), or ""."""
    from services import gateway

    return next((p for p, m in gateway.SERVICES.items() if _service_of(m) == service), "")


# -- Kubernetes manifests -----------------------------------------------------------------
def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@functools.cache
def _parsed(path: Path) -> tuple:
    return tuple(d for d in yaml.load_all(path.read_text(), Loader=Loader) if d)


def documents(path: Path) -> list[dict]:
    """The manifests in ``path`` (parsed once: tests must not change them)."""
    return list(_parsed(path))


def all_objects() -> list[dict]:
    return [d for p in manifest_files() for d in documents(p)]


def objects(kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in all_objects() if o["kind"] == kind}


def pod_labels(deployment: dict) -> dict:
    return deployment["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


@pytest.fixture
def no_network(monkeypatch):
    """The schema checks must work offline: any connection attempt fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the deployment checks tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_manifest_files_exist():
    names = {p.name for p in manifest_files()}
    assert {"namespace.yaml", "configmap.yaml", "secrets.yaml", "migrate-job.yaml",
            "worker.yaml", "ingress.yaml"} | {f"{s}.yaml" for s in WEB} <= names


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: p.name)
def test_manifest_validates_against_the_kubernetes_schema(path, no_network):
    import kubernetes_validate

    docs = documents(path)
    assert docs, f"{path.name} holds no manifest"
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"{path.name}: {doc['kind']} {doc['metadata'].get('name')}: {err}")


def test_the_schema_check_rejects_a_broken_manifest(no_network):
    """A control: strict validation is not a no-op (a typo'd field, a string for a number)."""
    import kubernetes_validate

    deployment = objects("Deployment")["testing"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["revisionHistoryLimit"] = "five"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_the_pinned_kubernetes_version_is_shipped():
    from kubernetes_validate import utils

    shipped = {".".join(v.split(".")[:2]) for v in utils.all_versions()}
    assert K8S_VERSION in shipped


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed)), "a manifest is listed twice"
    assert set(listed) == {p.name for p in manifest_files()}
    assert kustomization["namespace"] == "taitotaso"
    assert [i["name"] for i in kustomization.get("images", [])] == [IMAGE]


def test_everything_is_in_the_taitotaso_namespace_under_unique_names():
    seen = set()
    for o in all_objects():
        key = (o["kind"], o["metadata"]["name"])
        assert key not in seen, f"two {key[0]}s named {key[1]}"
        seen.add(key)
        if o["kind"] == "Namespace":
            assert o["metadata"]["name"] == "taitotaso"
        else:
            assert o["metadata"].get("namespace") == "taitotaso", key


def _pod_specs() -> dict[str, dict]:
    """Every pod template: the Deployments' and the migration Job's."""
    pods = {f"Deployment/{n}": d["spec"]["template"]["spec"] for n, d in objects("Deployment").items()}
    pods |= {f"Job/{n}": j["spec"]["template"]["spec"] for n, j in objects("Job").items()}
    return pods


@pytest.mark.parametrize("name", sorted(_pod_specs()))
def test_pods_run_as_non_root_read_only_with_limits(name):
    pod = _pod_specs()[name]
    pod_sc = pod.get("securityContext", {})
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    assert pod.get("automountServiceAccountToken") is False, name
    for c in pod.get("initContainers", []) + pod["containers"]:
        sc = c.get("securityContext", {})
        assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, name
        assert sc.get("runAsUser", pod_sc.get("runAsUser")) not in (None, 0), name
        assert sc.get("allowPrivilegeEscalation") is False, name
        assert sc.get("readOnlyRootFilesystem") is True, name
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], name
        assert "seccompProfile" in sc or "seccompProfile" in pod_sc, name
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c.get("resources", {}).get(kind, {})), (name, kind)
        # the image's one writable place where the root filesystem is read-only
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        assert "/tmp" in mounts, f"{name}: no volume at /tmp"
        for path, volume in mounts.items():
            assert volume in volumes, f"{name}: {path} mounts the undefined volume {volume}"
        assert c["image"].split(":")[0] == IMAGE, name


def test_the_configuration_and_secrets_that_pods_use_are_defined():
    configmaps, secrets = objects("ConfigMap"), objects("Secret")
    assert {"TAITOTASO_TIMEZONE", "TAITOTASO_LOG_FORMAT", "TAITOTASO_ASR_ENGINE", "WEB_CONCURRENCY",
            "GUNICORN_THREADS", "FORWARDED_ALLOW_IPS", "TAITOTASO_PUBLIC_URL"} <= set(configmaps["taitotaso-config"]["data"])
    assert configmaps["taitotaso-config"]["data"]["TAITOTASO_LOG_FORMAT"] == "json"
    assert {"DATABASE_URL", "REDIS_URL", "TAITOTASO_SECRET_KEY"} <= set(
        secrets["taitotaso-secrets"]["stringData"])
    for name, pod in _pod_specs().items():
        for c in pod["containers"]:
            refs = c.get("envFrom", [])
            assert {"configMapRef": {"name": "taitotaso-config"}} in refs, name
            assert {"secretRef": {"name": "taitotaso-secrets"}} in refs, name
            for ref in refs:
                if "configMapRef" in ref:
                    assert ref["configMapRef"]["name"] in configmaps, name
                if "secretRef" in ref:
                    assert ref["secretRef"]["name"] in secrets, name
        for v in pod.get("volumes", []):
            if "secret" in v:
                assert v["secret"]["secretName"] in secrets, name


def test_the_signing_keys_are_mounted_read_only_where_results_looks_for_them():
    pod = objects("Deployment")["results"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    keys_dir = env["TAITOTASO_SIGNING_KEYS"]
    (mount,) = [m for m in c["volumeMounts"] if m["mountPath"] == keys_dir]
    assert mount.get("readOnly") is True
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["secret"]["secretName"] == "taitotaso-signing-keys"


@pytest.mark.parametrize("svc", WEB)
def test_web_deployment_serves_its_gunicorn_config_and_probes(svc):
    deployment = objects("Deployment")[svc]
    (c,) = deployment["spec"]["template"]["spec"]["containers"]
    assert c["command"] == ["gunicorn", "-c", f"deploy/gunicorn/{svc}.py"]
    assert (ROOT / c["command"][2]).is_file()
    assert {"name": "http", "containerPort": 8000, "protocol": "TCP"} in c["ports"]
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"),
                        ("readinessProbe", "/readyz")):
        assert c[probe]["httpGet"] == {"path": path, "port": "http"}, (svc, probe)
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == "8000"
    pod = deployment["spec"]["template"]["spec"]
    spread = pod.get("topologySpreadConstraints") or pod.get("affinity", {}).get("podAntiAffinity")
    assert spread, f"{svc}: replicas are not spread"
    for constraint in pod.get("topologySpreadConstraints", []):
        assert selects(constraint["labelSelector"]["matchLabels"], pod_labels(deployment))


def _hpa_for(name: str) -> dict:
    hpas = [h for h in objects("HorizontalPodAutoscaler").values()
            if h["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}]
    assert len(hpas) == 1, f"{name}: {len(hpas)} HorizontalPodAutoscalers"
    return hpas[0]


def _pdb_for(deployment: dict) -> dict:
    labels = pod_labels(deployment)
    pdbs = [p for p in objects("PodDisruptionBudget").values()
            if selects(p["spec"]["selector"]["matchLabels"], labels)]
    assert len(pdbs) == 1, f"{deployment['metadata']['name']}: {len(pdbs)} PodDisruptionBudgets"
    return pdbs[0]


def _assert_cpu_hpa(hpa: dict, minimum: int, maximum: int) -> None:
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (minimum, maximum)
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"


@pytest.mark.parametrize("svc", WEB)
def test_web_deployment_has_a_service_an_hpa_and_a_pdb_that_select_it(svc):
    deployments = objects("Deployment")
    deployment = deployments[svc]
    labels = pod_labels(deployment)
    assert selects(deployment["spec"]["selector"]["matchLabels"], labels)
    # selectors pick this Deployment's pods and no other's
    others = [pod_labels(d) for n, d in deployments.items() if n != svc]

    service = objects("Service")[svc]
    assert service["spec"]["type"] == "ClusterIP"
    assert selects(service["spec"]["selector"], labels)
    assert not any(selects(service["spec"]["selector"], o) for o in others)
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]

    _assert_cpu_hpa(_hpa_for(svc), 2, 20 if svc == "scoring" else 10)

    pdb = _pdb_for(deployment)
    assert pdb["apiVersion"] == "policy/v1"
    assert pdb["spec"].get("minAvailable") == 1 or pdb["spec"].get("maxUnavailable") == 1
    assert not any(selects(pdb["spec"]["selector"]["matchLabels"], o) for o in others)


def test_the_worker_runs_rq_with_an_hpa_a_pdb_and_time_to_finish_a_job():
    worker = objects("Deployment")["worker"]
    pod = worker["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["command"] == ["taitotaso", "worker"]
    assert pod["terminationGracePeriodSeconds"] >= 120
    assert "ports" not in c and not any(selects(s["spec"]["selector"], pod_labels(worker))
                                        for s in objects("Service").values())
    # no HTTP server in the worker: HTTP probes would fail
    assert not any("httpGet" in c.get(p, {}) for p in ("livenessProbe", "readinessProbe", "startupProbe"))
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert "/var/cache/taitotaso/models" in mounts  # the speech model is assembled there
    _assert_cpu_hpa(_hpa_for("worker"), 2, 20)
    _pdb_for(worker)


def test_the_scoring_pods_have_a_writable_model_cache_and_time_to_finish_requests():
    pod = objects("Deployment")["scoring"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert "/var/cache/taitotaso/models" in {m["mountPath"] for m in c["volumeMounts"]}
    ns = load_gunicorn_config(GUNICORN / "scoring.py")
    assert pod["terminationGracePeriodSeconds"] > ns["graceful_timeout"]


def test_the_migration_job_upgrades_the_database_and_is_cleaned_up():
    (job,) = objects("Job").values()
    assert "taitotaso db upgrade" in " ".join(job["spec"]["template"]["spec"]["containers"][0]["command"])
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 1
    assert job["spec"]["ttlSecondsAfterFinished"] > 0


# -- routing: Ingress and nginx.conf ------------------------------------------------------
def ingress_routes() -> dict[str, tuple[str, str]]:
    """Ingress path -> (service, port name), over every Ingress (they share the one host)."""
    routes = {}
    for ingress in objects("Ingress").values():
        spec = ingress["spec"]
        assert spec["ingressClassName"] == "nginx"
        (rule,) = spec["rules"]
        assert rule["host"] == "taitotaso.example.fi"
        assert any(rule["host"] in t["hosts"] and t.get("secretName") for t in spec["tls"])
        for path in rule["http"]["paths"]:
            assert path["pathType"] == "Prefix"
            assert path["path"] not in routes, f"{path['path']} is routed twice"
            backend = path["backend"]["service"]
            routes[path["path"]] = (backend["name"], backend["port"].get("name"))
    return routes


def nginx_locations() -> list[tuple[str, str, str]]:
    """(modifier, path, body) of every location block in nginx.conf."""
    text = re.sub(r"#[^\n]*", "", NGINX_CONF.read_text())
    found = re.findall(r"location\s+(=\s+|\^~\s+)?(\S+)\s*\{([^{}]*)\}", text)
    assert found, "no location blocks in nginx.conf"
    return [(mod.strip(), path, body) for mod, path, body in found]


def nginx_upstreams() -> dict[str, list[str]]:
    text = re.sub(r"#[^\n]*", "", NGINX_CONF.read_text())
    return {name: re.findall(r"^\s*server\s+(\S+?)[;\s]", body, re.M)
            for name, body in re.findall(r"upstream\s+(\w+)\s*\{([^{}]*)\}", text)}


def nginx_routes() -> dict[str, str]:
    """Path prefix -> upstream. A `= /x` exact twin must go where `/x/` goes."""
    prefixes, exact = {}, {}
    for mod, path, body in nginx_locations():
        if path == "/nginx-healthz":
            continue
        passes = re.findall(r"proxy_pass\s+([^;]+);", body)
        assert len(passes) == 1, f"location {path}: {passes}"
        # no path after the upstream name: nginx then passes the request's path unchanged
        m = re.fullmatch(r"http://(\w+)", passes[0])
        assert m, f"location {path}: proxy_pass {passes[0]} rewrites the path"
        assert mod in ("", "="), f"location {path}: use plain prefix locations"
        target = exact if mod == "=" else prefixes
        assert path not in target, f"location {path} twice"
        target[path] = m.group(1)
    routes = {("/" if p == "/" else p.rstrip("/")): u for p, u in prefixes.items()}
    assert len(routes) == len(prefixes)
    for path, upstream in exact.items():
        assert routes.get(path) == upstream, f"location = {path} goes elsewhere than {path}/"
    return routes


def test_the_ingress_routes_like_the_gateway():
    routes = ingress_routes()
    assert {p: s for p, (s, _) in routes.items()} == gateway_routes()
    services = objects("Service")
    for path, (name, port) in routes.items():
        assert name in services, f"{path}: no Service {name}"
        assert port in {p["name"] for p in services[name]["spec"]["ports"]}, path


def test_nginx_routes_like_the_gateway_and_the_ingress():
    routes = nginx_routes()
    assert routes == gateway_routes()
    upstreams = nginx_upstreams()
    for path, upstream in routes.items():
        # upstream, compose service and Kubernetes Service share the service's name
        assert upstreams[upstream] == [f"{upstream}:8000"], upstream
    assert routes == {p: s for p, (s, _) in ingress_routes().items()}


def test_nginx_forwards_the_request_id_and_headers_and_limits_bodies():
    text = NGINX_CONF.read_text()
    server = text[text.index("server {"):]
    assert re.search(r"map \$http_x_request_id \$req_id \{\s*default\s+\$http_x_request_id;"
                     r"\s*\"\"\s+\$request_id;\s*\}", text)
    for header, value in (("X-Request-ID", "$req_id"), ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
                          ("Host", "$host"), ("X-Forwarded-Host", "$host")):
        assert re.search(rf"proxy_set_header\s+{re.escape(header)}\s+{re.escape(value)};", server), header
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$\w+;", server)
    # nginx drops inherited proxy_set_header where a location sets one of its own
    assert all("proxy_set_header" not in body for _, _, body in nginx_locations())
    assert re.search(r"^\s{8}client_max_body_size 12m;", server, re.M)
    assert re.search(r"log_format json escape=json '[^;]*\$req_id", text)
    assert re.search(r"access_log\s+\S+\s+json;", text)
    (health,) = [body for _, path, body in nginx_locations() if path == "/nginx-healthz"]
    assert re.search(r"return 200\b", health)


def test_proxy_limits_fit_the_services():
    """Bodies the services take and the time they may take must get through the proxies."""
    authoring = (ROOT / "services/authoring/app.py").read_text()
    assert "MAX_CONTENT_LENGTH=200 * 1024 * 1024" in authoring
    ingresses = {tuple(p["path"] for p in i["spec"]["rules"][0]["http"]["paths"]): i["metadata"]["annotations"]
                 for i in objects("Ingress").values()}
    assert ingresses[("/authoring",)]["nginx.ingress.kubernetes.io/proxy-body-size"] == "200m"
    scoring_timeout = load_gunicorn_config(GUNICORN / "scoring.py")["timeout"]
    assert int(ingresses[("/api/v1/scoring",)]["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > scoring_timeout
    for paths, annotations in ingresses.items():
        if paths != ("/authoring",):
            assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "12m", paths
    blocks = {path: body for _, path, body in nginx_locations()}
    assert "client_max_body_size 200m;" in blocks["/authoring/"]
    m = re.search(r"proxy_read_timeout (\d+)s;", blocks["/api/v1/scoring/"])
    assert m and int(m.group(1)) > scoring_timeout


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_config(tmp_path):
    # compose's service names do not resolve here: check the syntax against local addresses
    conf = re.sub(r"server \w+:8000;", "server 127.0.0.1:8000;", NGINX_CONF.read_text())
    (tmp_path / "nginx.conf").write_text(conf)
    run = subprocess.run(["nginx", "-t", "-q", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path),
                          "-g", f"pid {tmp_path / 'nginx.pid'};"], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_the_manifests():
    run = subprocess.run(["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    built = [d for d in yaml.safe_load_all(run.stdout) if d]
    assert len(built) == len(all_objects())


# -- gunicorn configs ---------------------------------------------------------------------
def load_gunicorn_config(path: Path) -> dict:
    """A config file executed as gunicorn does: plain Python with its own __file__."""
    namespace = {"__file__": str(path), "__name__": "__config__"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def import_app_factory(wsgi_app: str):
    module, _, call = wsgi_app.partition(":")
    assert call == "create_app()", wsgi_app
    return getattr(importlib.import_module(module), "create_app")


def echo_app(environ, start_response):
    return environ["SCRIPT_NAME"], environ["PATH_INFO"]


class FakeWorker:
    wsgi = staticmethod(echo_app)


def test_the_per_service_configs_are_all_there():
    assert {p.stem for p in GUNICORN.glob("*.py")} == {"common", *WEB}


@pytest.mark.parametrize("svc", WEB)
def test_gunicorn_config_loads_and_names_an_importable_app(svc, monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    ns = load_gunicorn_config(GUNICORN / f"{svc}.py")
    assert ns["wsgi_app"] == f"services.{svc}.app:create_app()"
    assert callable(import_app_factory(ns["wsgi_app"]))
    # the shared settings came from common.py
    assert ns["bind"] == "0.0.0.0:8000" and ns["worker_class"] == "gthread" and ns["accesslog"] == "-"
    assert ns["workers"] >= 1 and ns["threads"] >= 1 and ns["max_requests"] > 0
    assert "forwarded_allow_ips" in ns
    # gunicorn's SCRIPT_NAME refuses every path outside it: the prefix is applied in WSGI
    assert not any(e.startswith("SCRIPT_NAME=") for e in ns.get("raw_env", []))
    assert ns["mount_prefix"] == mount_prefix(svc)


@pytest.mark.parametrize("svc", [s for s in WEB if mount_prefix(s)])
def test_a_mounted_service_sees_its_prefix_and_other_paths_unchanged(svc):
    ns = load_gunicorn_config(GUNICORN / f"{svc}.py")
    worker = FakeWorker()
    ns["post_worker_init"](worker)
    prefix = mount_prefix(svc)

    def call(path):
        return worker.wsgi({"SCRIPT_NAME": "", "PATH_INFO": path}, None)

    assert call(f"{prefix}/fi/") == (prefix, "/fi/")
    assert call(prefix) == (prefix, "")
    # probes and the API prefixes of the results service pass as they are
    for path in ("/healthz", "/readyz", "/metrics", "/api/v1/results/x", "/.well-known/jwks.json",
                 f"{prefix}x/y"):
        assert call(path) == ("", path)


@pytest.mark.parametrize("svc", [s for s in WEB if not mount_prefix(s)])
def test_an_unmounted_service_is_not_wrapped(svc):
    assert "post_worker_init" not in load_gunicorn_config(GUNICORN / f"{svc}.py")


def test_per_service_tuning():
    common = load_gunicorn_config(GUNICORN / "testing.py")
    scoring = load_gunicorn_config(GUNICORN / "scoring.py")
    library = load_gunicorn_config(GUNICORN / "library.py")
    assert scoring["timeout"] == 120 and scoring["threads"] < common["threads"]
    assert library["timeout"] == 60
    assert common["timeout"] == 30


def test_the_whole_suite_config_still_serves_the_gateway():
    ns = load_gunicorn_config(DEPLOY / "gunicorn.conf.py")
    assert ns["wsgi_app"] == "services.gateway:create_app()"
    assert callable(import_app_factory(ns["wsgi_app"]))
    assert ns["worker_class"] == "gthread" and ns["bind"] == "0.0.0.0:8000"
    assert "post_worker_init" not in ns  # the gateway mounts the services itself


# -- compose ------------------------------------------------------------------------------
def compose() -> dict:
    return yaml.load(COMPOSE.read_text(), Loader=Loader)  # anchors and << merges resolved


def test_compose_has_every_part():
    services = compose()["services"]
    assert {"postgres", "redis", "migrate", "nginx", "worker", *WEB} <= set(services)
    assert services["postgres"]["image"] == "postgres:16"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["image"] == "redis:7"
    assert "--appendonly" in services["redis"]["command"]
    assert services["nginx"]["image"] == "nginx:1.27-alpine"
    assert any(p.endswith(":8080") for p in services["nginx"]["ports"])
    (conf,) = [v for v in services["nginx"]["volumes"] if v.endswith(":/etc/nginx/nginx.conf:ro")]
    assert (COMPOSE.parent / conf.split(":")[0]).resolve() == NGINX_CONF


def test_compose_runs_the_migration_first_and_each_service_with_its_config():
    services = compose()["services"]
    migrate = services["migrate"]
    assert "taitotaso db upgrade" in " ".join(migrate["command"])
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    image = migrate["image"]
    for name in (*WEB, "worker"):
        s = services[name]
        assert s["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        assert s["image"] == image, name
        env = s["environment"]
        assert env["TAITOTASO_SECRET_KEY"] == "${TAITOTASO_SECRET_KEY:?set it}", name
        assert {"DATABASE_URL", "REDIS_URL", "TAITOTASO_LOG_FORMAT", "TAITOTASO_PUBLIC_URL"} <= set(env), name
    for name in WEB:
        assert services[name]["command"] == ["gunicorn", "-c", f"deploy/gunicorn/{name}.py"]
    assert services["worker"]["command"] == ["taitotaso", "worker"]
    assert services["worker"]["deploy"]["replicas"] == 2
    assert (COMPOSE.parent / migrate["build"]["context"] / migrate["build"]["dockerfile"]).resolve() \
        == ROOT / "Dockerfile"


# -- Dockerfile ---------------------------------------------------------------------------
def test_the_dockerfile_matches_the_project():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm\b", text, re.M)
    # torch's CPU build, at the version pyproject.toml pins
    pin = re.search(r'"(torch==[^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert f"pip install {pin} --index-url https://download.pytorch.org/whl/cpu" in text
    # the Makefile's Debian packages, less the browser of the e2e tests
    makefile = (ROOT / "Makefile").read_text()
    wanted = set(re.search(r"^DEB_PACKAGES\s*:=\s*(.+)$", makefile, re.M).group(1).split()) - {"chromium"}
    apt = re.search(r"apt-get install(.*?)&&", text, re.S).group(1)
    assert wanted <= set(apt.replace("\\", " ").split())
    assert "pybabel compile -d services/translations" in text
    assert "torchaudio/lib/*.so" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^EXPOSE 8000$", text, re.M)
    cmd = re.search(r"^CMD (\[.*\])$", text, re.M).group(1)
    assert yaml.safe_load(cmd) == ["gunicorn", "-c", "deploy/gunicorn/testing.py"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", ".git"} <= set(ignored)


# -- every setting the code reads is set in both deployments -------------------------------
CODE_DIRS = ("services", "scoring", "assessment", "item_bank", "deploy/gunicorn")
SETTING = re.compile(r"\b(TAITOTASO_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL|REDIS_URL)\b")


def settings_read_by_the_code() -> set[str]:
    """Every ``TAITOTASO_*`` name (and the two URLs) in the code the services run."""
    names = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(SETTING.findall(path.read_text(encoding="utf-8")))
    return names


def k8s_settings() -> set[str]:
    names = set(objects("ConfigMap")["taitotaso-config"]["data"])
    names |= set(objects("Secret")["taitotaso-secrets"]["stringData"])
    for pod in _pod_specs().values():
        for c in pod["containers"]:
            names |= {e["name"] for e in c.get("env", [])}
    return names


def compose_settings() -> set[str]:
    return {name for s in compose()["services"].values() for name in s.get("environment") or {}}


def test_the_scan_finds_the_settings_of_the_config_loader():
    found = settings_read_by_the_code()
    assert {"DATABASE_URL", "REDIS_URL", "TAITOTASO_SMTP_PASSWORD", "TAITOTASO_SCORING_CLIENTS",
            "TAITOTASO_SIGNING_KEYS", "TAITOTASO_SERVICE"} <= found
    assert "TAITOTASO_SMTP_" not in found   # a prefix in prose is not a setting


def test_every_setting_the_code_reads_is_in_the_k8s_configmap_secrets_or_pod_env():
    missing = settings_read_by_the_code() - k8s_settings()
    assert not missing, f"add to deploy/k8s/configmap.yaml or secrets.yaml: {sorted(missing)}"


def test_every_setting_the_code_reads_is_in_compose():
    missing = settings_read_by_the_code() - compose_settings()
    assert not missing, f"add to deploy/compose.yaml: {sorted(missing)}"


def test_secrets_are_not_in_the_configmap():
    data = objects("ConfigMap")["taitotaso-config"]["data"]
    secrets = objects("Secret")["taitotaso-secrets"]["stringData"]
    for name in ("TAITOTASO_SECRET_KEY", "TAITOTASO_SMTP_PASSWORD", "TAITOTASO_SCORING_CLIENTS",
                 "TAITOTASO_METRICS_TOKEN", "DATABASE_URL", "REDIS_URL"):
        assert name in secrets and name not in data, name


def test_every_setting_the_code_reads_is_in_the_readme_table():
    table = {m for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if line.startswith("| `") for m in SETTING.findall(line.split("|")[1])}
    missing = settings_read_by_the_code() - table
    assert not missing, f"add to the settings table in README.md: {sorted(missing)}"
