# bash completion for tinyvmm                              -*- shell-script -*-
# SPDX-License-Identifier: MIT
#
# Installed as /usr/share/bash-completion/completions/tinyvmm; plain bash
# can also source it. The lists below are tinyvmm --help's (and tinyvmm tap
# --help's): one option a line, then its value as the help writes it. A
# value in capitals (FILE, N, NAME) is a placeholder; lowercase words joined
# by | are the values tinyvmm accepts, and are offered as completions.
# tests/unit/test_completion.c checks these lists against the option table
# in vmm/cli.c and the help texts, so an option added there without a line
# here fails that test, which says what line to add.

_tinyvmm_run_options='
--machine tinyvmm|virt
--kernel FILE
--bios FILE
--initrd FILE
--cmdline TEXT
--append TEXT
--cpus N
--mem MIB
--gic auto|v2|v3
--timeout SECONDS
--on-reset exit|reboot
--console-log FILE
--dump-dtb FILE
--report-json FILE
--tap NAME
--mac ADDR
--vhost auto|on|off
--vhost-irq direct|relay
--vhost-poll-us N
--worker-poll-us N
--worker-sched normal|batch
--queues N
--transport auto|mmio|pci
--virtio-mmio legacy|modern
--no-packed
--no-event-idx
--no-mrg-rxbuf
--user USER
--seccomp on|log|off
--expect REGEX
--fail-on REGEX
--no-default-fail-on
--exit-device
--no-pmu
--no-pauth
--no-sve
--quiet
--help
--version
'
_tinyvmm_check_options='
--tap NAME
--queues N
--cpus N
'
_tinyvmm_tap_create_options='
--queues N
--user USER
--group GROUP
--address CIDR
'
_tinyvmm_commands='check tap'
_tinyvmm_tap_commands='create delete show'

# _tinyvmm_value_of LIST OPTION: print OPTION's value in LIST (nothing for
# an option that takes none); fail if LIST has no OPTION.
_tinyvmm_value_of()
{
    local opt value
    while read -r opt value; do
        [[ -n $opt && $opt == "$2" ]] && { printf '%s\n' "$value"; return 0; }
    done <<<"$1"
    return 1
}

_tinyvmm_taps()
{
    local f
    for f in /sys/class/net/*/tun_flags; do
        [[ -e $f ]] && f=${f%/tun_flags} && printf '%s\n' "${f##*/}"
    done
}

# _tinyvmm_values VALUE CUR: the completions of a value written VALUE in
# the help that starts with CUR.
_tinyvmm_values()
{
    case $1 in
        FILE) compgen -f -- "$2" ;;
        USER) compgen -u -- "$2" ;;
        GROUP) compgen -g -- "$2" ;;
        NAME) compgen -W "$(_tinyvmm_taps)" -- "$2" ;;
        *[A-Z]*) ;;
        *) compgen -W "${1//|/ }" -- "$2" ;;
    esac
}

_tinyvmm()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev="" list words value
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    # --opt=VALUE: bash splits it at the = (COMP_WORDBREAKS).
    if [[ $cur == = ]]; then
        cur=""
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    COMPREPLY=()
    case ${COMP_WORDS[1]-} in
        check) list=$_tinyvmm_check_options ;;
        tap)
            if ((COMP_CWORD == 2)); then
                mapfile -t COMPREPLY < <(compgen -W "$_tinyvmm_tap_commands --help" -- "$cur")
                return 0
            fi
            case ${COMP_WORDS[2]}:$COMP_CWORD in
                delete:3 | show:3) mapfile -t COMPREPLY < <(_tinyvmm_values NAME "$cur") ;;
                create:3) ;;    # a new interface's name
                create:*) list=$_tinyvmm_tap_create_options ;;
            esac
            [[ -n ${list-} ]] || return 0
            ;;
        *) list=$_tinyvmm_run_options ;;
    esac
    if value=$(_tinyvmm_value_of "$list" "$prev") && [[ -n $value ]]; then
        # directories get a / and names with spaces their quoting
        [[ $value == FILE ]] && compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(_tinyvmm_values "$value" "$cur")
        return 0
    fi
    words=$(while read -r value _; do printf '%s ' "$value"; done <<<"$list")
    ((COMP_CWORD == 1)) && words="$_tinyvmm_commands $words"
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -F _tinyvmm tinyvmm
