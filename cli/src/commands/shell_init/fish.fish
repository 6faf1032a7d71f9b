# ssocred shell integration (fish): `ssocred use` and `ssocred unuse`
# change this shell's environment, so they run through this function.
# Add to config.fish: ssocred shell-init fish | source
function ssocred --description 'ssocred, with use/unuse changing this shell'
    switch "$argv[1]"
        case use unuse
            set -l __ssocred_out (command ssocred $argv[1] --shell fish --shell-pid $fish_pid $argv[2..-1])
            or return $status
            string join \n -- $__ssocred_out | source
            # `set -e` of a variable that was not set leaves status 4 behind.
            return 0
        case '*'
            command ssocred $argv
    end
end
