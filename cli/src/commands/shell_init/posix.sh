# ssocred shell integration (bash, zsh): `ssocred use` and `ssocred unuse`
# change this shell's environment, so they run through this function.
# Add to your rc file: eval "$(ssocred shell-init SHELL)"
ssocred() {
    case "${1-}" in
        use|unuse)
            local __ssocred_verb="$1" __ssocred_out
            shift
            __ssocred_out="$(command ssocred "$__ssocred_verb" --shell sh --shell-pid "$$" "$@")" || return $?
            eval "$__ssocred_out"
            ;;
        *)
            command ssocred "$@"
            ;;
    esac
}
