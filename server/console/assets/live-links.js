// Softphone links kept live from the event stream, equal to what a reload shows.
//
// The stream sends a `link` event for every link record a change touched, and
// that includes the one-use app addresses a Zoiper landing page hands out
// when its button is pressed (and their use when the app fetches): link
// records of their own, shaped like any link, that GET /api/links leaves
// out. Adding every event's link to the list made a row appear for each of
// them that was gone on reload. So an event only updates a link the list
// already shows; an id the list does not have (a link just made elsewhere,
// or such an app address) is settled by reading the list again.
import { rereader } from './common.js';

/**
 * `links`: the Map (id → link) the page renders, filled by `read`, which must
 * refill it from GET /api/links. Returns the `link` event handler.
 */
export function followLinks(links, read, render, accept = () => true) {
  const reread = rereader(read);
  return (link) => {
    if (!accept(link)) return;
    if (links.has(link.id)) {
      links.set(link.id, link);
      render();
      reread.heard();
    } else {
      reread().catch(() => {});
    }
  };
}
