// A typed confirmation before a step that is hard to undo (removing a secret), like the kill
// switch's: the dialog says what happens and what does not, and acts only on the typed word.
export function askToConfirm(dialogId, word, action) {
  const dialog = document.getElementById(dialogId);
  const form = dialog.querySelector("form");
  const input = form.querySelector('input[name="confirm"]');
  const error = form.querySelector('[data-error-for="confirm"]');
  form.reset();
  error.textContent = "";
  form.querySelector("[data-cancel]").onclick = () => dialog.close();
  form.onsubmit = async (event) => {
    event.preventDefault();
    if (input.value.trim() !== word) {
      error.textContent = `type ${word} to confirm`;
      return;
    }
    form.classList.add("busy");
    try {
      await action();
      dialog.close();
    } catch (problem) {
      error.textContent = problem.message;
    } finally {
      form.classList.remove("busy");
    }
  };
  dialog.showModal();
}
