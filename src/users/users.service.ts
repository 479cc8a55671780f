import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Repository } from 'typeorm';
import { generateToken, hashToken } from '../common/auth/token';
import { notFound } from '../common/errors';
import { sqlNames } from '../database/sql-names';
import type { CreatedUserDto, CreateUserDto, UserDto } from './dto/user.dto';
import { User } from './entities/user.entity';
import type { PrincipalSource } from '../common/auth/principal-source';

const toUserDto = (u: User): UserDto => ({
  id: u.id,
  first_name: u.firstName,
  last_name: u.lastName,
  created_at: u.createdAt.toISOString(),
});

@Injectable()
export class UsersService implements PrincipalSource {
  private readonly idByHashSql: string;

  constructor(@InjectRepository(User) private readonly users: Repository<User>) {
    const u = sqlNames<User>(users.metadata);
    this.idByHashSql = `SELECT ${u.id} AS id FROM ${u.table} WHERE ${u.apiTokenHash} = $1`;
  }

  async create(dto: CreateUserDto): Promise<CreatedUserDto> {
    const token = generateToken('user');
    const saved = await this.users.save(
      this.users.create({ firstName: dto.first_name, lastName: dto.last_name, apiTokenHash: hashToken(token) }),
    );
    return { ...toUserDto(saved), api_token: token };
  }

  async get(id: number): Promise<UserDto> {
    const user = await this.users.findOneBy({ id });
    if (!user) throw notFound(`User ${id}`);
    return toUserDto(user);
  }

  /** The users of these ids that exist, by id. */
  async getMany(ids: readonly number[]): Promise<Map<number, UserDto>> {
    if (!ids.length) return new Map();
    const found = await this.users.find({ where: { id: In([...new Set(ids)]) } });
    return new Map(found.map((u) => [u.id, toUserDto(u)]));
  }

  /**
   * The user whose API token has this digest, for authentication. A plain statement: in POST
   * /bookings under load nearly every request is a user the principal cache has not seen, and
   * the repository's findOne costs about twice the Node CPU of a plain lookup (bench/RESULTS.md).
   */
  async idByTokenHash(hash: string): Promise<number | null> {
    const [row] = await this.users.query<{ id: number }[]>(this.idByHashSql, [hash]);
    return row?.id ?? null;
  }
}
