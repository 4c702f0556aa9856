/**
 * `zcp completion bash`: the completion script (commands, options from the
 * option table, checkpoint ids, boot environments, apt actions, pools).
 * @module
 */
import { APT_ACTIONS } from '../apt/plan.js';
import { optionWords, valuedOptionWords } from './options.js';

/** The bash completion script: commands, options, and checkpoint ids from `zcp list --json`. */
export function bashCompletion(commands: string[]): string {
  return `# bash completion for zcp (zcp completion bash)
_zcp() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd="" w
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) cmd="$w"; break ;; esac
  done
  case "$prev" in
    --dataset) COMPREPLY=( $(compgen -W "$(zfs list -H -o name -t filesystem 2>/dev/null)" -- "$cur") ); return ;;
    --root) COMPREPLY=( $(compgen -d -- "$cur") ); return ;;
    ${valuedOptionWords().filter((w) => w !== '--dataset' && w !== '--root').join('|')}) return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "${optionWords().join(' ')}" -- "$cur") )
  elif [[ -z "$cmd" ]]; then
    COMPREPLY=( $(compgen -W "${commands.join(' ')}" -- "$cur") )
  else
    case "$cmd" in
      show|diff|rollback|clone|destroy|hold|release)
        COMPREPLY=( $(compgen -W "$(zcp list --json 2>/dev/null | sed -n 's/.*"id": "\\(zcp-[0-9]*\\)".*/\\1/p')" -- "$cur") ) ;;
      activate) COMPREPLY=( $(compgen -W "$(zcp list --json 2>/dev/null | sed -n 's/.*"name": "\\([^"]*\\)".*/\\1/p')" -- "$cur") ) ;;
      apt) COMPREPLY=( $(compgen -W "${APT_ACTIONS.join(' ')}" -- "$cur") ) ;;
      hook) COMPREPLY=( $(compgen -W "install remove apt dnf" -- "$cur") ) ;;
      bench) COMPREPLY=( $(compgen -W "$(zpool list -H -o name 2>/dev/null)" -- "$cur") ) ;;
      completion) COMPREPLY=( $(compgen -W "bash" -- "$cur") ) ;;
    esac
  fi
}

complete -F _zcp zcp
`;
}
