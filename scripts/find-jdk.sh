# Sourced by Attest's scripts: exports JAVA_HOME pointing at a JDK 25 or newer, or stops with a clear message.
# Order: $JAVA_HOME if it is 25+, then the newest JDK 25+ under /usr/lib/jvm.
attest_java_feature() { # prints the feature release (25, 17, ...) of the JDK at $1, or nothing
  [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}
attest_find_jdk() {
  local candidate feature
  if [ -n "${JAVA_HOME:-}" ]; then
    feature=$(attest_java_feature "$JAVA_HOME")
    if [ -n "$feature" ] && [ "$feature" -ge 25 ]; then return 0; fi
    echo "attest: JAVA_HOME=$JAVA_HOME is not a JDK 25+ (found release ${feature:-none}); looking in /usr/lib/jvm" >&2
  fi
  for candidate in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
    candidate=${candidate%/}
    feature=$(attest_java_feature "$candidate")
    if [ -n "$feature" ] && [ "$feature" -ge 25 ]; then export JAVA_HOME="$candidate"; return 0; fi
  done
  echo "attest: no JDK 25 found. Install one (e.g. Temurin 25) and set JAVA_HOME to it; looked at \$JAVA_HOME and /usr/lib/jvm/*." >&2
  return 1
}
attest_find_jdk || exit 2
export PATH="$JAVA_HOME/bin:$PATH"
