/**
 * `zcp completion bash`: the completion script (commands, options from the
 * option table, checkpoint ids, boot environments, apt actions, pools).
 * @module
 */
import { APT_ACTIONS } from '../apt/plan.js';
import { optionWords, valuedOptionWords } from './options.js';

/** The bash completion script: commands, options, and checkpoint ids from `zcp list --json`. */
export function bashCompletion(commands: string[]): string {
  const valued = valuedOptionWords();
  return `# bash completion for zcp (zcp completion bash)
_zcp() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd="" action="" w i
  # The command is the first word that is neither an option nor an option's value.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    case "$w" in
      ${valued.join('|')}) ((i++)) ;;
      -*) ;;
      *) if [[ -z "$cmd" ]]; then cmd="$w"; elif [[ -z "$action" ]]; then action="$w"; fi ;;
    esac
  done
  case "$prev" in
    --dataset) COMPREPLY=( $(compgen -W "$(zfs list -H -o name -t filesystem 2>/dev/null)" -- "$cur") ); return ;;
    --root) COMPREPLY=( $(compgen -d -- "$cur") ); return ;;
    ${valued.filter((w) => w !== '--dataset' && w !== '--root').join('|')}) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "${optionWords().join(' ')}" -- "$cur") )
  elif [[ -z "$cmd" ]]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") )
  else
    case "$cmd" in
      show|diff|rollback|clone|destroy|hold|release)
        COMPREPLY=( $(compgen -W "$(zcp list -H 2>/dev/null | cut -f3 | grep '^zcp-')" -- "$cur") ) ;;
      activate) COMPREPLY=( $(compgen -W "$(zcp list -H 2>/dev/null | awk -F'\\t' '$4 == "-" {print $3}')" -- "$cur") ) ;;
      apt)
        if [[ -z "$action" ]]; then
          COMPREPLY=( $(compgen -W "${APT_ACTIONS.join(' ')}" -- "$cur") )
        else
          case "$action" in
            # As apt's own completion does: packages apt knows to install (from its cache, or
            # read afresh where there is none), installed ones to remove.
            install|reinstall)
              w=$(apt-cache --no-generate pkgnames "$cur" 2>/dev/null)
              [[ -n "$w" ]] || w=$(apt-cache pkgnames "$cur" 2>/dev/null)
              COMPREPLY=( $w ) ;;
            remove|purge) COMPREPLY=( $(compgen -W "$(dpkg-query -W -f '\${Package}\\n' 2>/dev/null)" -- "$cur") ) ;;
          esac
        fi ;;
      hook) COMPREPLY=( $(compgen -W "$([[ -z "$action" ]] && echo install remove || echo apt dnf)" -- "$cur") ) ;;
      bench) COMPREPLY=( $(compgen -W "$(zpool list -H -o name 2>/dev/null)" -- "$cur") ) ;;
      completion) COMPREPLY=( $(compgen -W "bash" -- "$cur") ) ;;
    esac
  fi
}

complete -F _zcp zcp
`;
}
