"""Deleting the Redmine records a test created, straight in Redmine, so reruns start alike."""

import urllib.error
import urllib.request
from dataclasses import dataclass, field

GONE_ALREADY = 404


@dataclass
class Cleanup:
    """Paths such as /time_entries/7.json, deleted with the admin key when the test ends."""

    redmine_url: str
    admin_key: str
    paths: list[str] = field(default_factory=list)

    def delete_later(self, path: str) -> None:
        self.paths.append(path)

    def run(self) -> None:
        # Newest first: an attachment goes before the issue that holds it.
        for path in reversed(self.paths):
            self._delete(path)
        self.paths.clear()

    def _delete(self, path: str) -> None:
        request = urllib.request.Request(
            self.redmine_url + path, method="DELETE", headers={"X-Redmine-API-Key": self.admin_key}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 204, f"DELETE {path}: {response.status}"
        except urllib.error.HTTPError as exc:
            exc.close()
            # The test may have deleted it itself; that is what it was testing.
            if exc.code != GONE_ALREADY:
                raise
