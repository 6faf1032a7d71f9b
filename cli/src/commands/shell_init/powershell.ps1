# ssocred shell integration (PowerShell): `ssocred use` and `ssocred unuse`
# change this session's environment, so they run through this function.
# Add to $PROFILE: ssocred shell-init powershell | Out-String | Invoke-Expression
function ssocred {
    $ssocredExe = Get-Command -Name ssocred -CommandType Application | Select-Object -First 1
    if ($args.Count -gt 0 -and ($args[0] -eq 'use' -or $args[0] -eq 'unuse')) {
        $rest = @($args | Select-Object -Skip 1)
        $out = & $ssocredExe $args[0] --shell powershell --shell-pid $PID @rest
        if ($LASTEXITCODE -ne 0) { return }
        Invoke-Expression ($out -join "`n")
    } else {
        & $ssocredExe @args
    }
}
