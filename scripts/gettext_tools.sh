# Sourced by scripts/translations and scripts/check_translations: make sure GNU gettext
# (msgfmt, xgettext, msgmerge; apt package gettext) is installed, installing it as root
# when apt-get is there, or stopping with what to do.
ensure_gettext() {
    if command -v msgfmt >/dev/null && command -v xgettext >/dev/null \
        && command -v msgmerge >/dev/null; then
        return 0
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "Installing the gettext tools for the translations (apt-get install gettext)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null
    else
        echo "The translations need the gettext tools (msgfmt, xgettext, msgmerge). Install" >&2
        echo "them with  sudo apt-get install gettext  and run this again." >&2
        exit 1
    fi
}
