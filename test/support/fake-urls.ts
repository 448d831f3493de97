/** The fake's URL of each source, as `npm start -- --demo` configures them. */
export { fakeApiUrls as fakeUrls } from '../../stack/services.ts';
