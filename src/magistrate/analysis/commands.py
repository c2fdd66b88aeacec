"""What common commands do to the paths they are given, and how wrappers pass control on.

This is knowledge of the shell and its tools, not policy: the constitution decides what is
dangerous; these tables say that `rm` deletes its operands, that `cp` writes its last one, that
`sudo` runs the rest of its words as a command and that `bash -c` runs a script.
"""

from __future__ import annotations

# Commands that only run the rest of their words as another command. The value lists the
# options that take a separate value (so it is skipped along with the option).
WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset(
        [
            "-u",
            "-g",
            "-p",
            "-C",
            "-D",
            "-h",
            "-r",
            "-t",
            "-U",
            "-T",
            "--user",
            "--group",
            "--prompt",
            "--chdir",
        ]
    ),
    "doas": frozenset(["-u", "-C"]),
    "pkexec": frozenset(["--user"]),
    "nohup": frozenset(),
    "time": frozenset(["-f", "-o", "--format", "--output"]),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset(["-a"]),
    "nice": frozenset(["-n", "--adjustment"]),
    "ionice": frozenset(["-c", "-n", "-p", "-P", "-u", "--class", "--classdata"]),
    "timeout": frozenset(["-s", "-k", "--signal", "--kill-after"]),
    "stdbuf": frozenset(["-i", "-o", "-e"]),
    "setsid": frozenset(),
    "unbuffer": frozenset(),
    "caffeinate": frozenset(["-t", "-w"]),
    "torsocks": frozenset(),
    "proxychains": frozenset(["-f"]),
    "proxychains4": frozenset(["-f"]),
    "strace": frozenset(["-o", "-e", "-p", "-s", "-u"]),
    "ltrace": frozenset(["-o", "-e", "-p", "-s", "-u"]),
    "watch": frozenset(["-n", "-d", "--interval"]),
    "taskset": frozenset(),
    "chrt": frozenset(),
    "busybox": frozenset(),
    "toybox": frozenset(),
    "gosu": frozenset(),
    "su-exec": frozenset(),
    "systemd-run": frozenset(["-u", "-p", "--unit", "--property", "-M", "-H"]),
    "runuser": frozenset(["-u", "-g", "-G", "--user", "--group"]),
    "env": frozenset(["-u", "-C", "-S", "--unset", "--chdir", "--split-string"]),
    "xargs": frozenset(
        ["-I", "-n", "-P", "-L", "-d", "-a", "-E", "-s", "--max-args", "--max-procs", "--delimiter"]
    ),
    "parallel": frozenset(["-j", "-S", "--jobs"]),
    "flock": frozenset(["-w", "-E"]),
    "npx": frozenset(["-p", "--package"]),
    "uvx": frozenset(),
    "chroot": frozenset(["--userspec", "--groups"]),
    "unshare": frozenset(["-S", "-G", "--setuid", "--setgid"]),
    "nsenter": frozenset(["-t", "--target", "-S", "-G", "--setuid", "--setgid"]),
    "firejail": frozenset(),
    "xvfb-run": frozenset(["-n", "-s", "-f", "--server-num", "--server-args"]),
    "dbus-run-session": frozenset(),
    "call": frozenset(),  # cmd.exe: `call del /q X` runs `del /q X`
}
# Wrappers whose first operand (not the command) must also be skipped.
WRAPPERS_WITH_ARGUMENT = frozenset(
    {"timeout", "taskset", "chrt", "flock", "gosu", "su-exec", "chroot"}
)
# Wrappers that raise privilege: commands they run are marked as privileged.
PRIVILEGED_WRAPPERS = frozenset({"sudo", "doas", "pkexec", "su", "runuser", "gosu", "su-exec"})

SHELLS = frozenset(
    [
        "sh",
        "bash",
        "zsh",
        "dash",
        "ksh",
        "mksh",
        "ash",
        "fish",
        "tcsh",
        "csh",
        "pwsh",
        "powershell",
        "powershell.exe",
        "cmd",
        "cmd.exe",
        "nu",  # nushell: `nu -c 'rm --recursive …'`
    ]
)
# Interpreters of other languages: `-c`/`-e` code and stdin code are inspected as program text.
CODE_INTERPRETERS: dict[str, frozenset[str]] = {
    "python": frozenset({"-c"}),
    "python2": frozenset({"-c"}),
    "python3": frozenset({"-c"}),
    "pypy": frozenset({"-c"}),
    "pypy3": frozenset({"-c"}),
    "node": frozenset({"-e", "--eval", "-p", "--print"}),
    "nodejs": frozenset({"-e", "--eval", "-p", "--print"}),
    "deno": frozenset({"eval"}),
    "bun": frozenset({"-e", "--eval"}),
    "perl": frozenset({"-e", "-E"}),
    "ruby": frozenset({"-e"}),
    "php": frozenset({"-r"}),
    "lua": frozenset({"-e"}),
    "rscript": frozenset({"-e"}),
    "osascript": frozenset({"-e"}),
    "awk": frozenset(),
}
# Database clients: the option that carries SQL text (None: SQL is the second operand).
SQL_CLIENTS: dict[str, frozenset[str]] = {
    "psql": frozenset({"-c", "--command"}),
    "mysql": frozenset({"-e", "--execute"}),
    "mariadb": frozenset({"-e", "--execute"}),
    "sqlite3": frozenset(),
    "duckdb": frozenset({"-c"}),
    "clickhouse-client": frozenset({"-q", "--query"}),
    "clickhouse": frozenset({"-q", "--query"}),
    "cqlsh": frozenset({"-e", "--execute"}),
    "sqlcmd": frozenset({"-q", "-Q"}),
    # PowerShell's SqlServer module (its parameters are matched as typed and lower-cased)
    "invoke-sqlcmd": frozenset({"-Query", "-query", "-Q"}),
    "snowsql": frozenset({"-q", "--query"}),
    "bq": frozenset(),  # its SQL is `bq query`'s last operand (shell_follow._sql_client)
    "cockroach": frozenset({"-e", "--execute"}),
}
# Remote execution: the words after the host (or container) are a command run elsewhere.
REMOTE_EXEC_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "ssh": frozenset(
        [
            "-p",
            "-i",
            "-l",
            "-o",
            "-F",
            "-J",
            "-L",
            "-R",
            "-D",
            "-b",
            "-c",
            "-e",
            "-m",
            "-O",
            "-Q",
            "-S",
            "-W",
            "-w",
            "-E",
            "-B",
        ]
    ),
}

# Effects on path operands.
DELETERS = frozenset(
    "rm unlink shred srm wipe trash trash-put del erase rd rimraf del-cli rmtrash gio-trash".split()
)
TRUNCATERS = frozenset({"truncate"})
# Options that take a value, for commands whose operands are paths (the value is not a path).
VALUED_OPTIONS: dict[str, frozenset[str]] = {
    "truncate": frozenset({"-s", "--size", "-r", "--reference"}),
    "shred": frozenset({"-n", "--iterations", "-s", "--size", "--random-source"}),
    "cp": frozenset({"-t", "--target-directory", "-S", "--suffix"}),
    "mv": frozenset({"-t", "--target-directory", "-S", "--suffix"}),
    "install": frozenset({"-m", "--mode", "-o", "--owner", "-g", "--group", "-t"}),
    "tee": frozenset(),
    "rsync": frozenset({"-e", "--rsh", "--exclude", "--include", "--filter", "-f"}),
    "scp": frozenset({"-P", "-i", "-o", "-F", "-J", "-l", "-c"}),
    "sftp": frozenset({"-P", "-i", "-o", "-F", "-J", "-l", "-c", "-b", "-B", "-D", "-R", "-s"}),
    "chmod": frozenset({"--reference"}),
    "chown": frozenset({"--reference", "--from"}),
    "tar": frozenset({"-C", "--directory", "--exclude", "-T", "-X"}),
    "grep": frozenset({"-e", "-f", "--include", "--exclude", "-m", "-A", "-B", "-C"}),
    "head": frozenset({"-n", "-c"}),
    "tail": frozenset({"-n", "-c"}),
    "split": frozenset({"-l", "-b", "-n"}),
    # What openssl writes (a new key, a certificate) and the subject it is issued to.
    "openssl": frozenset({"-out", "-keyout", "-subj", "-newkey"}),
    # ssh's options that take a value: the first operand is then the host
    "ssh": frozenset("-o -i -p -l -F -J -L -R -D -b -c -E -e -I -m -O -Q -S -W -w -B".split()),
}
# Commands whose last operand is the destination written; the others are read (mv: removed).
# cmd's and PowerShell's (with its aliases) too: the last path is where the copy goes.
COPIERS = frozenset(
    "cp mv install ln rsync scp sftp ditto copy xcopy copy-item cpi move move-item mi".split()
)
MOVERS = frozenset(["mv", "move", "move-item", "mi"])  # copiers that delete what they copied
WRITERS_ALL = frozenset({"tee", "touch", "sponge"})
IN_PLACE_EDITORS = frozenset({"sed", "perl", "ruby"})  # with -i
EDITORS = frozenset(["vi", "vim", "nvim", "nano", "emacs", "ed", "ex", "pico"])
PERMISSION_CHANGERS = frozenset(
    [
        "chmod",
        "chown",
        "chgrp",
        "chattr",
        "setfacl",
        "setcap",
        "icacls",
        "cacls",
        "takeown",
        "set-acl",
    ]
)
# Commands that show or transform file content: their path operands are read.
READERS = frozenset(
    [
        "cat",
        "tac",
        "less",
        "more",
        "head",
        "tail",
        "nl",
        "od",
        "xxd",
        "hexdump",
        "strings",
        "base64",
        "base32",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "awk",
        "gawk",
        "cut",
        "sort",
        "uniq",
        "diff",
        "cmp",
        "comm",
        "tar",
        "zip",
        "gzip",
        "gunzip",
        "bzip2",
        "xz",
        "7z",
        "7za",
        "zcat",
        "gpg",
        "openssl",
        "jq",
        "yq",
        "bat",
        "view",
        "pr",
        "fold",
        "paste",
        "split",
        "md5sum",
        "sha1sum",
        "sha256sum",
        "sha512sum",
        "file-roller",
        "uuencode",
        "zip7",
        "iconv",
        "dos2unix",
        "unix2dos",
        "column",
        "fmt",
        "rev",
        "sed",
    ]
)
# Commands that take a path but never reveal its content (so a secret there is not read).
# direnv's loaders: an env file's variables set for the project, shown to nobody.
ENV_LOADERS = frozenset({"dotenv", "dotenv_if_exists", "source_env", "source_env_if_exists"})
PATH_ONLY = ENV_LOADERS | frozenset(
    [
        "ls",
        "stat",
        "test",
        "[",
        "[[",
        "du",
        "df",
        "file",
        "wc",
        "mkdir",
        "rmdir",
        "touch",
        "realpath",
        "readlink",
        "dirname",
        "basename",
        "cd",
        "pushd",
        "popd",
        "chmod",
        "chown",
        "chgrp",
        "ssh-add",
        "ssh-keygen",
        "ssh-copy-id",
        "source",
        ".",
        "find",
        "locate",
        "which",
        "echo",
        "printf",
        "export",
        "unset",
        "type",
        "whereis",
        "namei",
        "lsattr",
        "getfacl",
        "exa",
        "eza",
        "tree",
        # PowerShell's path cmdlets: whether a path exists, its parts (`Test-Path …\credentials`)
        "test-path",
        "resolve-path",
        "split-path",
        "join-path",
    ]
)

# Network: commands that fetch, and how a send is recognized.
FETCHERS = frozenset(
    [
        "curl",
        "wget",
        "fetch",
        "http",
        "https",
        "httpie",
        "aria2c",
        "lwp-download",
        "lwp-request",
        "iwr",
        "irm",
        "invoke-webrequest",
        "invoke-restmethod",
        "xh",
        "curlie",
    ]
)
# (program, subcommand) that upload the files named after it, and where to.
FILE_UPLOADERS: dict[tuple[str, str], str] = {
    ("gh", "gist create"): "https://gist.github.com",
    ("gh", "gist edit"): "https://gist.github.com",
    ("gh", "release upload"): "https://github.com",
    ("glab", "snippet create"): "https://gitlab.com",
}
UPLOADER_VALUED = frozenset({"-d", "--desc", "-f", "--filename", "-R", "--repo", "-t", "--title"})
RAW_SOCKETS = frozenset(["nc", "ncat", "netcat", "socat", "telnet", "openssl-s_client", "cryptcat"])
CURL_SEND_FLAGS = frozenset(
    [
        "d",
        "data",
        "data-binary",
        "data-raw",
        "data-urlencode",
        "data-ascii",
        "F",
        "form",
        "form-string",
        "T",
        "upload-file",
        "json",
    ]
)
WGET_SEND_FLAGS = frozenset(["post-data", "post-file", "body-data", "body-file"])
# Commands that authenticate with a key file without revealing it.
KEY_USERS = frozenset(
    ["ssh", "scp", "sftp", "autossh", "mosh", "rsync", "git", "sshfs", "ssh-copy-id"]
)
# Searchers whose first operand is the pattern, not a file (unless -e or -f gave it): `grep -rn
# password src/` reads src/, not a file named password.
PATTERN_FIRST = frozenset("grep egrep fgrep zgrep rg ag ack pgrep pkill".split())
PATTERN_OPTIONS = frozenset({"e", "f", "regexp", "file"})
DNS_TOOLS = frozenset(
    ["nslookup", "dig", "host", "drill", "ping", "ping6", "traceroute", "whois", "resolve-dnsname"]
)
MAILERS = frozenset(
    ["mail", "mailx", "sendmail", "mutt", "neomutt", "msmtp", "ssmtp", "swaks", "s-nail", "nail"]
)
CLOUD_COPY = frozenset(["aws", "gsutil", "gcloud", "az", "rclone", "azcopy", "s3cmd", "mc", "b2"])
# Options of cloud copy tools that take a value (not a file operand).
CLOUD_VALUE_OPTIONS = frozenset(
    [
        "--profile",
        "--region",
        "--output",
        "--endpoint-url",
        "--query",
        "--project",
        "--account",
        "--configuration",
        "--format",
        "--subscription",
        "-o",
        "--transfers",
        "--checkers",
        "--config",
        "--storage-class",
        "--sse",
        "--acl",
        "--exclude",
        "--include",
        "--bwlimit",
        "--content-type",
        "--cache-control",
        "--expected-size",
        "-z",
        "--log-file",
        "--filter",
    ]
)

# Sources whose output is decoded or decompressed: piping them into an interpreter hides code.
DECODERS = frozenset(
    ["base64", "base32", "xxd", "uudecode", "openssl", "gunzip", "zcat", "bunzip2", "xz", "rev"]
)
# Filters that pass data through without changing where it came from.
PASS_THROUGH = frozenset(
    ["tee", "cat", "dd", "pv", "buffer", "mbuffer", "sed", "tr", "head", "tail"]
)
# Commands that dump the environment (which holds tokens and keys).
ENV_DUMPERS = frozenset({"env", "printenv", "set", "export", "declare", "compgen"})
# Commands that dump databases.
DB_DUMPERS = frozenset(
    ["pg_dump", "pg_dumpall", "mysqldump", "mariadb-dump", "mongodump", "mongoexport"]
)
# Database clients: they read rows out when given a query to print.
DB_CLIENTS = frozenset(
    [
        "psql",
        "mysql",
        "mariadb",
        "sqlcmd",
        "sqlplus",
        "clickhouse-client",
        "snowsql",
        "bq",
        "cockroach",
        "sqlite3",
        "duckdb",
        "mongosh",
        "mongo",
    ]
)

# Options (per command family) that take a separate value, so subcommands can be found.
SUBCOMMAND_VALUE_OPTIONS: dict[str, frozenset[str]] = {
    "git": frozenset(["-C", "-c", "--git-dir", "--work-tree", "--namespace"]),
    "kubectl": frozenset(
        [
            "-n",
            "--namespace",
            "--context",
            "--kubeconfig",
            "--cluster",
            "--user",
            "-s",
            "--server",
            "--token",
        ]
    ),
    "oc": frozenset(["-n", "--namespace", "--context", "--kubeconfig", "--server", "--token"]),
    "helm": frozenset(["-n", "--namespace", "--kube-context", "--kubeconfig"]),
    "docker": frozenset(["-H", "--host", "--context", "-c", "--config", "-l", "--log-level"]),
    "podman": frozenset(["--url", "--connection", "-c"]),
    "aws": frozenset(["--profile", "--region", "--output", "--endpoint-url", "--query"]),
    "gcloud": frozenset(["--project", "--account", "--configuration", "--format"]),
    "az": frozenset(["--subscription", "-o", "--output"]),
    "systemctl": frozenset(["-H", "-M", "--host", "--machine"]),
    "terraform": frozenset(),
    "tofu": frozenset(),
    "npm": frozenset(["--prefix", "-w", "--workspace"]),
    "redis-cli": frozenset(["-h", "-p", "-a", "-n", "-u", "-s", "--user", "--pass"]),
}

# Commands whose quoted arguments are data (messages, search patterns), never code they run:
# a pattern such as `DROP TABLE` inside `grep -rn 'DROP TABLE' .` is only text.
DATA_COMMANDS = frozenset(
    [
        "echo",
        "printf",
        "grep",
        "egrep",
        "fgrep",
        "rg",
        "ag",
        "ack",
        "git",
        "logger",
        "wall",
        "notify-send",
        "say",
        "jq",
        "yq",
        "awk",
        "gawk",
        "sed",
        "cowsay",
        "figlet",
        "man",
        "tldr",
        "apropos",
        "info",
        "help",
        "gh",
        "glab",
        "hub",
    ]
)

# Windows: deleting commands (rd/rmdir only with /s) and downloaders (LOLBins).
# Key-value stores' clients: a listing of keys (`--scan`, `KEYS *`) piped to their own deleter.
KEY_VALUE_CLIS = frozenset({"redis-cli", "valkey-cli", "keydb-cli"})
WINDOWS_DELETERS = frozenset("rd rmdir del erase remove-item ri rm.exe del.exe".split())
WINDOWS_DOWNLOADERS = frozenset(
    "certutil certutil.exe bitsadmin bitsadmin.exe start-bitstransfer".split()
)
# Commands whose arguments are names, not files (their operands are never read as paths).
NON_FILE_CLIS = frozenset(
    """kubectl oc helm aws gcloud az oci doctl bq gsutil docker podman terraform tofu pulumi
    systemctl service journalctl npm yarn pnpm pip pip3 apt apt-get yum dnf brew gh glab
    heroku fly flyctl vercel netlify vault op security launchctl sc sc.exe net net.exe reg
    reg.exe schtasks wmic keytool""".split()
)

# PowerShell: the shells, the cmdlets that run a script block, and those that start a program.
POWERSHELLS = frozenset({"pwsh", "powershell", "powershell.exe"})
SCRIPT_BLOCK_RUNNERS = frozenset({"invoke-command", "icm", "start-job", "start-threadjob"})
PROCESS_STARTERS = frozenset({"start-process", "saps"})
# Interpreters whose backticks (and Perl's qx{…}) run shell commands.
BACKTICK_INTERPRETERS = frozenset({"ruby", "perl", "php"})
# Editors that run `:!cmd` given with -c or +cmd.
EX_EDITORS = frozenset({"vim", "vi", "nvim", "ex", "view", "gvim"})
# git configuration whose value is a command git runs (`-c core.pager=…`, aliases starting `!`).
GIT_COMMAND_KEYS = frozenset(
    {"core.pager", "core.editor", "core.sshcommand", "core.fsmonitor", "sequence.editor"}
    | {"diff.external", "pager.log", "pager.diff", "credential.helper", "core.hookspath"}
)
