"""The facade-level contract suite: the public `ModelRegistry` API over one backend.

Import every test into a test module of yours (`from modelreg.testing.facade import *`) and
provide the fixtures it uses: `backend_factory` (`support.Open`), `damage` (`support.Damage`),
`clock` and `as_person` (`pytest_plugins = ["modelreg.testing.fixtures"]`; a backend that
knows its callers by credentials overrides `as_person`).
"""

from __future__ import annotations

from .aliases import *  # noqa: F403
from .concurrent_writers import *  # noqa: F403
from .descriptions import *  # noqa: F403
from .list_filters import *  # noqa: F403
from .list_pages import *  # noqa: F403
from .maintenance import *  # noqa: F403
from .models import *  # noqa: F403
from .not_found import *  # noqa: F403
from .pointers import *  # noqa: F403
from .promotion import *  # noqa: F403
from .register_and_read import *  # noqa: F403
from .tags import *  # noqa: F403
from .users_day import *  # noqa: F403
