"""What the tests share, one way of doing each thing, in one place.

``tests/conftest.py`` puts ``tests/`` on ``sys.path``, so every test imports these as
``from support.ports import reserve_port`` wherever it lives.

- :mod:`support.ports` — loopback ports: :func:`~support.ports.reserve_port` and
  :func:`~support.ports.reserve_block` (every port a network binds, in one block), from a range
  outside the kernel's ephemeral ports, never twice in a session, shared safely between
  concurrent pytest processes.
- :mod:`support.databases` — fresh databases: a SQLite file, or a new PostgreSQL database on
  the test server (``GULFSEC_TEST_PG_URL``), dropped again; :class:`~support.databases.Databases`
  for the several databases of one test or network.
- :mod:`support.processes` — real ``gulfsec hub serve`` and ``gulfsec node serve`` processes
  (:class:`~support.processes.HubProcess`, :class:`~support.processes.NodeProcess`), a whole
  network of them set up through the CLI (:class:`~support.processes.ProcessNetwork`), the CLI
  in-process and as the console script, and :func:`~support.processes.wait_until`.
- :mod:`support.inprocess` — nodes in this process beside the test's hub
  (:func:`~support.inprocess.start_nodes`), a signed-in browser-ish client for the pages
  (:class:`~support.inprocess.Browser`), and the demo's network served for the real browser
  (:func:`~support.inprocess.served_demo`).
- :mod:`support.fakes` — fakes at our own ports, for service tests that need no database and
  no hub: an in-memory node store and unit of work, a hub that answers, refuses or is away.

The fixtures that hand these to tests live in the ``conftest.py`` files.
"""
