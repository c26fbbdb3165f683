const en = {};
const zhCN: typeof en = {};
export const attachLocales = { en, 'zh-CN': zhCN };
