import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { generateToken, hashToken } from '../common/auth/token';
import { notFound } from '../common/http/problem';
import type { CreatedUserDto, CreateUserDto, UserDto } from './dto/user.dto';
import { User } from './entities/user.entity';

const toUserDto = (u: User): UserDto => ({
  id: u.id,
  first_name: u.firstName,
  last_name: u.lastName,
  created_at: u.createdAt.toISOString(),
});

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

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
}
