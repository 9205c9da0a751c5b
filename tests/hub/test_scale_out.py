"""Machines that share nothing but PostgreSQL and S3: three `ulak worker` processes, each
with its own data dir, against one PostgreSQL and one SeaweedFS. Packages installed on one
"machine" reach the others through the object store; a sentence one worker translated is
a memory hit for another; every job is done exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.models import StoredPackage, TranslationJob
from tests.fixtures.hub import HubHarness, make_settings, story
from tests.fixtures.s3_server import drop_bucket
from tests.hub.test_worker_processes import assert_exactly_once
from translation.packages import installed_packages

BOILERPLATE = "AZƏRTAC xəbər verir ki, tədbir Bakıda keçirilib."


class Machine:
    """One worker host: its own data dir (models, memory file, temp files) and process."""

    def __init__(self, name: str, root: Path, env: dict[str, str]) -> None:
        self.name, self.data_dir = name, root / name
        self.env = os.environ | env | {"ULAK_DATA_DIR": str(self.data_dir)}
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hub", *args], env=self.env, capture_output=True, text=True, check=False
        )

    def start_worker(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub", "worker"], env=self.env, stderr=log, stdout=log
            )

    def stop_worker(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            assert self.process.wait(30) == 0, self.log.read_text()[-3000:]
        self.process = None


@pytest.fixture
def machines(postgres_url: str, tmp_path: Path, s3_running, s3_bucket_name: str) -> Iterator[list[Machine]]:  # type: ignore[no-untyped-def]
    env = {
        "ULAK_DATABASE_URL": postgres_url,
        "ULAK_STORAGE_BACKEND": "s3",
        "ULAK_S3_ENDPOINT": s3_running.endpoint,
        "ULAK_S3_ACCESS_KEY": s3_running.access_key,
        "ULAK_S3_SECRET_KEY": s3_running.secret_key,
        "ULAK_S3_BUCKET": s3_bucket_name,
        "ULAK_WORKER_POLL_SECONDS": "0.05",
        "ULAK_WORKER_CLAIM_SIZE": "4",
        "ULAK_WORKER_LEASE_SECONDS": "30",
    }
    hosts = [Machine(f"machine-{n}", tmp_path, env) for n in (1, 2, 3)]
    yield hosts
    for host in hosts:
        host.stop_worker()
    drop_bucket(s3_running, s3_bucket_name)


def wait_until_done(hub: HubHarness, machines: list[Machine], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with hub.runtime.read() as session:
            statuses = session.scalars(select(TranslationJob.status)).all()
        if statuses and set(statuses) == {"done"}:
            return
        for host in machines:
            if host.process is not None and host.process.poll() is not None:
                pytest.fail(f"{host.name}'s worker exited:\n{host.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {h.name}\n{h.log.read_text()[-2000:]}" for h in machines if h.log.exists())
            pytest.fail(f"jobs not done in {timeout:.0f} s: {sorted(set(statuses))}\n{logs}")
        time.sleep(0.1)


def test_three_machines_share_models_memory_and_work_through_postgresql_and_s3(
    machines: list[Machine],
    postgres_url: str,
    tmp_path: Path,
    synthetic_archives: dict[str, Path],
    s3_running,
    s3_bucket_name: str,
) -> None:  # type: ignore[no-untyped-def]
    first, second, third = machines
    # Only the first machine installs models; the install stores them in S3 as well.
    setup = first.run("models", "setup", "--from", str(next(iter(synthetic_archives.values())).parent))
    assert setup.returncode == 0, setup.stderr
    assert "stored in the object store" in setup.stdout
    assert installed_packages(first.models_dir) and not second.models_dir.exists()

    api_settings = make_settings(
        tmp_path / "api",
        postgres_url,
        embedded_worker=False,
        storage_backend="s3",
        s3_endpoint=s3_running.endpoint,
        s3_access_key=s3_running.access_key,
        s3_secret_key=s3_running.secret_key,
        s3_bucket=s3_bucket_name,
    )
    with HubHarness.start(api_settings) as hub:
        key = hub.agency("azertac")
        admin = hub.agency("ops", scopes="admin")

        def push(n: int, body: str) -> None:
            answer = hub.client.post("/v1/stories", json=story(f"urn:scale:{n}", body=body), headers=hub.auth(key))
            assert answer.status_code == 201, answer.text

        def memory() -> dict[str, object]:
            return dict(hub.client.get("/v1/admin/queue", headers=hub.auth(admin)).json()["memory"])

        # 1. The first machine alone translates a story.
        first.start_worker()
        push(0, f"{BOILERPLATE} Forumda 40 ölkədən jurnalistlər iştirak edir.")
        wait_until_done(hub, machines)
        assert memory()["store"] == "database"
        hits_before = memory()["hits"]
        first.stop_worker()

        # 2. With the first machine stopped, the two others (no models yet) get the same
        # text: they fetch the packages from S3 and find the sentences in the shared memory.
        second.start_worker()
        third.start_worker()
        push(1, f"{BOILERPLATE} Forumda 40 ölkədən jurnalistlər iştirak edir.")
        wait_until_done(hub, machines)
        assert memory()["hits"] > hits_before  # type: ignore[operator]

        # 3. All three, 48 more stories: 200 jobs in all.
        first.start_worker()
        for n in range(2, 50):
            push(n, f"{BOILERPLATE} Bu, {n} nömrəli xəbərin öz cümləsidir.")
        wait_until_done(hub, machines)
        for host in machines:
            host.stop_worker()

        assert_exactly_once(hub, 50 * 4)
        with hub.runtime.read() as session:
            stored = set(session.scalars(select(StoredPackage.digest)))
        for host in machines:
            here = {p.digest for p in installed_packages(host.models_dir)}
            assert here and here <= stored, f"{host.name} has {here}, the store {stored}"
        assert "fetched package" in second.log.read_text() + third.log.read_text()
        listed = second.run("models", "list")
        assert listed.returncode == 0, listed.stderr
        assert "yes" in listed.stdout
