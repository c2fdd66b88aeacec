"""Facts: what analyzers conclude about an action, by name — the vocabulary of `facts:` rules.

Each fact is declared here once, with what it means; analyzers set them by member
(`Fact.REMOTE_CODE`), never by a string spelled in the place that sets it. The values are the
names constitution rules use.
"""

from __future__ import annotations

from enum import StrEnum


class Fact(StrEnum):
    """A fact an analyzer can derive (its value is the name rules use)."""

    # Code fetched from the network is executed
    REMOTE_CODE = "remote-code"
    # Decoded or decompressed data is executed (hidden payload)
    DECODED_EXEC = "decoded-exec"
    # A shell wired to a network socket
    REVERSE_SHELL = "reverse-shell"
    # A function that forks itself without end: :(){ :|:& };:
    FORK_BOMB = "fork-bomb"
    # A disk filled on purpose: an endless writer into a file, a file of 100 GiB or more
    DISK_FILL = "disk-fill"
    # A command name held in a variable or substitution ($SHELL)
    DYNAMIC_COMMAND = "dynamic-command"
    # A hidden command name handed inline code or a piped script
    DYNAMIC_COMMAND_PAYLOAD = "dynamic-command-payload"
    # A credential-named environment variable is read out (printenv X_KEY)
    SECRET_ENV_READ = "secret-env-read"
    # Analysis stopped at a depth, size, count or time limit
    ANALYSIS_LIMIT = "analysis-limit"
    # A command drops or wipes a whole database (dropdb, db:drop…)
    DATABASE_DESTROY = "database-destroy"
    # Code nested deeper than the analyzer follows
    NESTING_TOO_DEEP = "nesting-too-deep"
    # Secrets (keys, tokens, environment) read and sent out
    EXFILTRATION = "exfiltration"
    # Bulk or personal data read and sent outside the organization
    DATA_EXFILTRATION = "data-exfiltration"
    # Bulk or personal data read and sent anywhere
    DATA_TRANSFER = "data-transfer"
    # The project's code (a git diff, bundle or archive; the working folder) sent outside
    CODE_EXFILTRATION = "code-exfiltration"
    # An address whose host spells a name with letters of another script (`pypі.org`)
    LOOKALIKE_HOST = "lookalike-host"
    # Something sent to a recipient or host outside the organization
    SEND_EXTERNAL = "send-external"
    # A tool argument names an outside URL or address
    EXTERNAL_TARGET = "external-target"
    # A tool argument names a URL or address not known to be internal
    UNVERIFIED_TARGET = "unverified-target"
    # Prose names an export, dump or personal-data file
    DATA_MENTIONED = "data-mentioned"
    # People's records are deleted (files, tables, tools)
    PERSONAL_DATA_DELETION = "personal-data-deletion"
    # Content holds secrets or personal data
    SENSITIVE_CONTENT = "sensitive-content"
    # The action names a production environment
    PRODUCTION_TARGET = "production-target"
    # Content holds a credential (key, token, private key)
    SECRET_CONTENT = "secret-content"
    # Content holds a credential in a format beyond doubt (AKIA…, ghp_…)
    CREDENTIAL_CONTENT = "credential-content"
    # Prose names a secret file (~/.ssh/id_rsa, .env, /etc/shadow)
    SECRET_PATH_MENTIONED = "secret-path-mentioned"
    # A recipient argument outside the organization's domains
    OUTSIDE_RECIPIENT = "outside-recipient"
    # Data sent to a paste site, request bin, tunnel or known drop
    UNTRUSTED_TARGET = "untrusted-target"
    # A request or tool call the harm model reads as asking for or doing harm
    HARMFUL_INTENT = "harmful-intent"
    # Tool output the orders model reads as orders given to the agent
    ORDERS_READ = "orders-read"
