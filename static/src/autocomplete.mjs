// Turns <select data-module="app-autocomplete"> into GOV.UK's accessible autocomplete.
// Progressive enhancement: without scripts, or if the library failed to load, the select
// still works, and the form posts the select's value either way.
const { accessibleAutocomplete } = window;

const USAGE =
  "When autocomplete results are available use up and down arrows to review and enter to " +
  "select. Touch device users, explore by touch or with swipe gestures.";

// The field's hint and error message, which describe the select: the autocomplete sets its
// box's aria-describedby itself, to a hint of its own, so they go into that hint.
function description(select) {
  return (select.getAttribute("aria-describedby") || "")
    .split(/\s+/)
    .map((id) => document.getElementById(id)?.textContent.trim())
    .filter(Boolean)
    .join(" ");
}

if (accessibleAutocomplete) {
  for (const select of document.querySelectorAll('select[data-module="app-autocomplete"]')) {
    const id = select.id;
    const described = description(select);
    accessibleAutocomplete.enhanceSelectElement({
      selectElement: select,
      defaultValue: "",
      showAllValues: true,
      tNoResults: () => "No force has that name",
      tAssistiveHint: () => [described, USAGE].filter(Boolean).join(" "),
    });
    const input = document.getElementById(id);
    // The library leaves the select on the last force confirmed, even once the text is
    // cleared or changed: post only what the box shows, so a stale force is never added.
    select.form?.addEventListener("submit", () => {
      const chosen = select.options[select.selectedIndex];
      if (!input || !chosen || input.value.trim() !== chosen.text.trim()) {
        select.value = "";
      }
    });
  }
}
