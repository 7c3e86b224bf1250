"""Job persistence: one YAML file per job in a queue directory."""

import os
from typing import Dict, Iterator, List

import yaml

from .jobs import PENDING, Job


class FileStore:
    """Stores each :class:`Job` as ``<root>/<job id>.yaml``."""

    def __init__(self, root: str):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def _path(self, job_id: str) -> str:
        return os.path.join(self.root, f"{job_id}.yaml")

    def save(self, job: Job) -> None:
        tmp = self._path(job.id) + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            yaml.dump(job, fh, default_flow_style=False)
        os.replace(tmp, self._path(job.id))

    def load(self, job_id: str) -> Job:
        with open(self._path(job_id), encoding="utf-8") as fh:
            return yaml.load(fh)

    def delete(self, job_id: str) -> None:
        os.remove(self._path(job_id))

    def ids(self) -> List[str]:
        return sorted(n[:-5] for n in os.listdir(self.root) if n.endswith(".yaml"))

    def pending(self) -> Iterator[Job]:
        jobs = [self.load(job_id) for job_id in self.ids()]
        for job in sorted(jobs, key=lambda j: (j.enqueued_at, j.id)):
            if job.status == PENDING:
                yield job


class MemoryStore:
    """In-process store with the FileStore interface (for scripts and tests)."""

    def __init__(self):
        self.jobs: Dict[str, Job] = {}

    def save(self, job: Job) -> None:
        self.jobs[job.id] = job

    def load(self, job_id: str) -> Job:
        return self.jobs[job_id]

    def delete(self, job_id: str) -> None:
        del self.jobs[job_id]

    def ids(self) -> List[str]:
        return sorted(self.jobs)

    def pending(self) -> Iterator[Job]:
        for job in sorted(self.jobs.values(), key=lambda j: (j.enqueued_at, j.id)):
            if job.status == PENDING:
                yield job
