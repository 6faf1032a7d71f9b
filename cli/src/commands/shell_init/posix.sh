# ssocred shell integration (bash, zsh): `ssocred use` and `ssocred unuse`
# change this shell's environment, so they run through this function.
# Add to your rc file: eval "$(ssocred shell-init SHELL)"
#
# The pid passed is the process running the function: inside a subshell,
# `( ... )` or a pipeline, `$$` still names the parent shell, whose server
# `use` would otherwise replace. bash 4+ has $BASHPID; zsh has
# $sysparams[pid] (zsh/system). Without either, a subshell is refused.
ssocred() {
    case "${1-}" in
        use|unuse)
            local __ssocred_verb="$1" __ssocred_out __ssocred_pid=""
            shift
            if [ -n "${BASHPID-}" ]; then
                __ssocred_pid="$BASHPID"
            elif [ -n "${ZSH_VERSION-}" ] && zmodload -F zsh/system p:sysparams 2>/dev/null; then
                __ssocred_pid="${sysparams[pid]}"
            elif [ "${BASH_SUBSHELL:-0}${ZSH_SUBSHELL:-0}" = 00 ]; then
                __ssocred_pid="$$"
            else
                echo "ssocred: \`ssocred $__ssocred_verb\` cannot tell this subshell from its parent shell here (no \$BASHPID or zsh/system); run it in the shell itself" >&2
                return 2
            fi
            __ssocred_out="$(command ssocred "$__ssocred_verb" --shell sh --shell-pid "$__ssocred_pid" "$@")" || return $?
            eval "$__ssocred_out"
            ;;
        *)
            command ssocred "$@"
            ;;
    esac
}
