/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** 'true' only for `npm run dev:mock`: msw answers /api in the browser. */
  readonly VITE_API_MOCKING?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
