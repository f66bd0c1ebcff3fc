/** The shared UI library: import everything a page needs from here. */
export { CopyButton } from './copy';
export { Alert, EmptyState, ErrorAlert, Loading } from './feedback';
export { Button, Field, Form, invalid } from './form';
export { Bare, LanguageSwitch, Layout, Page, type NavItem } from './layout';
export { Pager, usePager, type PagerState } from './pager';
export { Table, type Column } from './table';
export { Count, DateTime, Money } from './value';
