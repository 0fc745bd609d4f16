// A secret input as the admin types into it: the API's rules checked at each
// keystroke (the server checks again), and the eye button that masks it.
import { secretProblem } from './secret-rules.js';

/**
 * Checks the input against the rules as it changes and returns the check,
 * for a submit to call too. `optional`: empty is fine (the server generates
 * one). `active`: whether what is in the field is the admin's typing at all
 * (a revealed secret is not checked).
 */
export function watchSecret(input, errorEl, { optional = false, active = () => true } = {}) {
  const check = () => {
    const value = input.value;
    const problem = active() && !(optional && value === '') ? secretProblem(value) : null;
    errorEl.textContent = problem ? `The secret ${problem}.` : '';
    input.setAttribute('aria-invalid', String(Boolean(problem)));
    return problem;
  };
  input.addEventListener('input', check);
  return check;
}

/** Masks or shows the input, and names the eye button for what it does next. */
export function showMasked(input, toggle, masked, what = 'secret') {
  input.type = masked ? 'password' : 'text';
  const name = masked ? `Show ${what}` : `Hide ${what}`;
  toggle.setAttribute('aria-label', name);
  toggle.title = name;
  toggle.setAttribute('aria-pressed', String(!masked));
  toggle.classList.toggle('open', !masked);
}
