"""`gemeingut admin`: users, groups, API keys, quotas and the audit log of a server's database.

Every command takes `--db` (a SQLite file or a postgresql:// URL; or GEMEINGUT_DB), the same
database `gemeingut serve --db` uses; the schema is migrated on first use. Only `users add` and
`groups add` create a SQLite file that is not there yet; every other command refuses such a
path, so that a typo does not look like a database without users.

One module per command group registers its commands on the groups of `gemeingut.cli.app`;
`common`, `tables`, `times`, `safeguards`, `rotations` and `exports` hold what several groups
share.
"""

from gemeingut.cli.admin import (  # noqa: F401  (registers the commands)
    audit,
    content,
    groups,
    keys,
    pseudonyms,
    quotas,
    users,
)
